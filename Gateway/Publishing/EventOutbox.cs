using System.Globalization;
using Microsoft.Extensions.Logging;

namespace MqttIoT.Gateway.Publishing;

/// <summary>
/// The station's recent events, numbered: it assigns each event its seq and keeps it, in memory for fast reads
/// (GET_EVENTS) and, with <see cref="GatewayOptions.OutboxPath"/>, in an append-only file written before the event is
/// published (<see cref="OutboxRecordFormat"/>). Bounded by count, bytes and age; the file is rewritten with what is
/// held when it grows to about twice that. Thread-safe: backends append from their threads, the publisher flushes,
/// query handlers read.
/// </summary>
/// <remarks>
/// seq never goes backwards, even when the file is lost or damaged: a side file (<c>OUTBOX.seq</c>) holds a
/// reservation, a number no assigned seq exceeds. It is moved <see cref="ReserveBlock"/> ahead whenever seq reaches it
/// and set to the exact last seq on a clean stop; on start seq continues after the greater of the file's last record and
/// the reservation. A crash therefore skips at most <see cref="ReserveBlock"/> numbers that no event has (GET_EVENTS
/// shows the jump), which is the price of not writing the side file with every event.
/// </remarks>
internal sealed partial class EventOutbox : IDisposable
{
    /// <summary>How far ahead of the seq the side file reserves numbers.</summary>
    public const long ReserveBlock = 1000;
    private const int MinCompactRecords = 1024;
    private const long MinCompactBytes = 256 * 1024;

    private readonly object _lock = new();
    private readonly string? _path;
    private readonly int _maxEvents;
    private readonly long _maxBytes;
    private readonly TimeSpan _maxAge;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly List<OutboxRecord> _records = [];
    private int _head;
    private long _heldBytes;
    private long _lastSeq;
    private long _reserved;
    private FileStream? _file;
    private long _fileRecords;
    private long _fileBytes;
    private long _flushedSeq;
    private bool _failed;

    public EventOutbox(GatewayOptions options, TimeProvider time, ILogger logger)
    {
        _path = options.OutboxPath is { Length: > 0 } p ? Path.GetFullPath(p) : null;
        _maxEvents = options.MaxOutboxEvents;
        _maxBytes = options.MaxOutboxBytes;
        _maxAge = options.OutboxMaxAge;
        _time = time;
        _logger = logger;
        if (_path is not null) Open(_path);
    }

    /// <summary>The seq of the station's newest event (0 before its first).</summary>
    public long LastSeq { get { lock (_lock) return _lastSeq; } }

    /// <summary>The file kept aside at start because it was torn or damaged, or null.</summary>
    public string? SetAsidePath { get; private set; }

    /// <summary>Numbers the next event, builds its payload with that seq and keeps it (in the file's buffer: see <see cref="Flush"/>).</summary>
    public OutboxRecord Append(DateTimeOffset timestamp, string type, string topic, Func<long, byte[]> payload)
    {
        lock (_lock)
        {
            var seq = _lastSeq + 1;
            var record = new OutboxRecord(seq, timestamp, type, topic, payload(seq));
            _lastSeq = seq;
            if (_path is not null && seq > _reserved) Reserve(seq + ReserveBlock);
            _records.Add(record);
            _heldBytes += record.Size;
            Trim();
            if (_file is not null)
            {
                try
                {
                    OutboxRecordFormat.Write(_file, record);
                    _fileRecords++;
                    _fileBytes += record.Size;
                    if (_fileBytes > 2 * Math.Max(_heldBytes, MinCompactBytes) || _fileRecords > 2 * Math.Max(Held, MinCompactRecords)) Compact();
                }
                catch (IOException ex) { FileFailed(ex); }
            }
            return record;
        }
    }

    /// <summary>Hands the file everything up to <paramref name="seq"/> (to the OS: a crashed process loses none of it).</summary>
    public void Flush(long seq)
    {
        lock (_lock)
        {
            if (_file is null || _flushedSeq >= seq) return;
            try { _file.Flush(); }
            catch (IOException ex) { FileFailed(ex); }
            _flushedSeq = _lastSeq;
        }
    }

    /// <summary>
    /// The held events with a seq above <paramref name="after"/> whose type <paramref name="include"/> accepts, at most
    /// <paramref name="limit"/>, looking at no more than <paramref name="maxScan"/> records.
    /// </summary>
    public OutboxPage Read(long after, int limit, Func<string, bool> include, int maxScan)
    {
        lock (_lock)
        {
            Trim();
            long? first = Held > 0 ? _records[_head].Seq : null;
            var events = new List<OutboxRecord>(Math.Min(limit, 64));
            var i = IndexAfter(after);
            var scanned = 0;
            for (; i < _records.Count && events.Count < limit && scanned < maxScan; i++, scanned++)
                if (include(_records[i].Type)) events.Add(_records[i]);
            long? next = i < _records.Count ? _records[i - 1].Seq : null;
            return new OutboxPage(events, next, first, _lastSeq);
        }
    }

    /// <summary>Flushes the file and records the exact last seq, so a clean restart continues without a jump.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_file is not null)
            {
                try { _file.Flush(flushToDisk: true); }
                catch (IOException ex) { FileFailed(ex); }
                _file?.Dispose();
                _file = null;
            }
            if (_path is not null) Reserve(_lastSeq);
        }
    }

    private int Held => _records.Count - _head;

    private int IndexAfter(long after)
    {
        int lo = _head, hi = _records.Count;
        while (lo < hi)
        {
            var mid = lo + (hi - lo) / 2;
            if (_records[mid].Seq <= after) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    private void Trim()
    {
        var oldest = _time.GetUtcNow() - _maxAge;
        while (Held > 0 && (Held > _maxEvents || _heldBytes > _maxBytes || _records[_head].Timestamp < oldest))
        {
            _heldBytes -= _records[_head].Size;
            _records[_head++] = null!;
        }
        if (_head > 4096 && _head > _records.Count / 2)
        {
            _records.RemoveRange(0, _head);
            _head = 0;
        }
    }

    private void Open(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        _reserved = ReadMark(path);
        string? damage = null;
        if (File.Exists(path))
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            try
            {
                Span<byte> magic = stackalloc byte[OutboxRecordFormat.Magic.Length];
                if (stream.Length > 0 && (stream.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false) < magic.Length || !magic.SequenceEqual(OutboxRecordFormat.Magic)))
                    throw new InvalidDataException("not an outbox file (bad header)");
                while (OutboxRecordFormat.Read(stream) is { } record)
                {
                    if (Held > 0 && record.Seq <= _records[^1].Seq) throw new InvalidDataException($"seq {record.Seq} follows {_records[^1].Seq}");
                    _records.Add(record);
                    _heldBytes += record.Size;
                }
            }
            catch (InvalidDataException ex) { damage = $"{ex.Message} at byte {stream.Position}"; }
        }
        if (Held > 0) _lastSeq = _records[^1].Seq;
        _lastSeq = Math.Max(_lastSeq, _reserved);
        Trim();
        if (damage is not null)
        {
            SetAsidePath = path + ".bad";
            if (File.Exists(SetAsidePath)) SetAsidePath = $"{path}.{_time.GetUtcNow():yyyyMMddHHmmssfff}.bad";
            File.Move(path, SetAsidePath);
            LogSetAside(path, damage, SetAsidePath, Held, _lastSeq);
        }
        // The events read before any damage are kept; the file is rewritten with them (a clean file needs no rewrite).
        if (damage is not null || !File.Exists(path) || new FileInfo(path).Length == 0) Rewrite(path);
        else
        {
            _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, 1 << 16);
            (_fileRecords, _fileBytes) = (Held, _file.Length);
        }
        Reserve(_lastSeq + ReserveBlock);
    }

    private void Compact()
    {
        _file!.Dispose();
        _file = null;
        Rewrite(_path!);
    }

    /// <summary>Writes the held events to a new file that replaces the old one in a single rename.</summary>
    private void Rewrite(string path)
    {
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            stream.Write(OutboxRecordFormat.Magic);
            for (var i = _head; i < _records.Count; i++) OutboxRecordFormat.Write(stream, _records[i]);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
        _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, 1 << 16);
        (_fileRecords, _fileBytes) = (Held, _file.Length);
        _flushedSeq = _lastSeq;
    }

    private static long ReadMark(string path)
    {
        try
        {
            return File.Exists(path + ".seq") && long.TryParse(File.ReadAllText(path + ".seq").Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var mark) ? mark : 0;
        }
        catch (IOException) { return 0; } // unreadable: the outbox file's own last seq is all there is
    }

    private void Reserve(long mark)
    {
        if (_failed) return;
        try
        {
            var temp = _path + ".seq.tmp";
            File.WriteAllText(temp, mark.ToString(CultureInfo.InvariantCulture));
            File.Move(temp, _path + ".seq", overwrite: true);
            _reserved = mark;
        }
        catch (IOException ex) { FileFailed(ex); }
    }

    /// <summary>A failing disk must not stop events: they are still numbered, held in memory and published.</summary>
    private void FileFailed(IOException ex)
    {
        try { _file?.Dispose(); }
        catch (IOException) { } // the same failure again, already being reported
        _file = null;
        if (_failed) return;
        _failed = true; // no further side-file writes either; reported once
        LogFileFailed(_path!, ex.Message);
    }

    [LoggerMessage(EventId = 2010, Level = LogLevel.Warning,
        Message = "Outbox {Path} is damaged ({Damage}): kept aside as {SetAside}; serving on with a new outbox holding the {Kept} events before the damage, seq continues after {Seq}")]
    private partial void LogSetAside(string path, string damage, string setAside, int kept, long seq);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Error, Message = "Outbox {Path} cannot be written ({Error}): events are held in memory only until the gateway restarts")]
    private partial void LogFileFailed(string path, string error);
}

/// <summary>A page of <see cref="EventOutbox.Read"/>: the events, the next cursor (null at the newest), the oldest seq held and the newest seq.</summary>
internal sealed record OutboxPage(IReadOnlyList<OutboxRecord> Events, long? Next, long? First, long Last);
