using Microsoft.Win32.SafeHandles;

namespace MqttIoT.Broker;

/// <summary>
/// The file <c>sessions.log</c> itself: appending bytes at its end, replacing it by a snapshot, flushing it to disk.
/// It knows nothing of what the bytes mean (<see cref="SessionRecords"/>). Not thread-safe: <see cref="SessionStore"/>
/// serialises every use under its write lock. Failures are thrown (<see cref="IOException"/>,
/// <see cref="UnauthorizedAccessException"/>) for the store to log.
/// </summary>
internal sealed class SessionLogFile(string path) : IDisposable
{
    private SafeFileHandle? _file;
    private long _length;

    public string Path => path;

    /// <summary>Whether the file is open for appending.</summary>
    public bool IsOpen => _file is not null;

    /// <summary>The whole file, or null when there is none.</summary>
    public (byte[] Bytes, DateTimeOffset LastWrite)? ReadAll() =>
        File.Exists(path) ? (File.ReadAllBytes(path), new DateTimeOffset(File.GetLastWriteTimeUtc(path))) : null;

    /// <summary>Keeps a copy of the file as <c>sessions.log.bad</c>, for a person to look at.</summary>
    public void KeepAside() => File.Copy(path, path + ".bad", overwrite: true);

    /// <summary>Hands <paramref name="bytes"/> to the operating system at the end of the file.</summary>
    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (_file is null || bytes.IsEmpty) return;
        RandomAccess.Write(_file, bytes, _length);
        _length += bytes.Length;
    }

    /// <summary>
    /// Replaces the file by what <paramref name="write"/> writes (a temporary file, flushed to disk, renamed over the
    /// old one) and appends to the new file from then on. On failure the file is closed: nothing more is appended.
    /// </summary>
    public void Replace(Action<Stream> write)
    {
        var temp = path + ".tmp";
        var previous = _file;
        _file = null;
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            previous?.Dispose();
            previous = null;
            File.Move(temp, path, overwrite: true);
            _file = File.OpenHandle(path, FileMode.Open, FileAccess.Write, FileShare.Read);
            _length = RandomAccess.GetLength(_file);
        }
        finally
        {
            previous?.Dispose();
        }
    }

    /// <summary>Flushes what was appended to disk and closes the file.</summary>
    public void Close()
    {
        if (_file is null) return;
        try { RandomAccess.FlushToDisk(_file); }
        finally
        {
            _file.Dispose();
            _file = null;
        }
    }

    public void Dispose()
    {
        _file?.Dispose();
        _file = null;
    }
}
