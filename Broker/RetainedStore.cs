using System.Text;
using MQTTnet;

namespace MqttIoT.Broker;

/// <summary>
/// Keeps the broker's retained messages in one file. Changes are applied to a dictionary as they happen and the
/// whole set is written out behind them (write to a temporary file, flush to disk, rename over the old one), so a
/// crash leaves either the previous snapshot or the new one, never a torn file.
/// </summary>
internal sealed class RetainedStore
{
    private const uint Magic = 0x4D515254; // "MQRT"
    private const int FormatVersion = 1;

    private readonly string _path;
    private readonly Dictionary<string, MqttApplicationMessage> _messages = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private long _version;
    private long _flushedVersion;

    public RetainedStore(string directory)
    {
        Directory.CreateDirectory(directory);
        _path = Path.Combine(directory, "retained.bin");
    }

    public string FilePath => _path;

    public bool IsDirty => Interlocked.Read(ref _version) != Interlocked.Read(ref _flushedVersion);

    public List<MqttApplicationMessage> Load()
    {
        lock (_lock)
        {
            _messages.Clear();
            if (!File.Exists(_path)) return [];
            using var stream = File.OpenRead(_path);
            using var reader = new BinaryReader(stream, Encoding.UTF8);
            if (reader.ReadUInt32() != Magic || reader.ReadInt32() != FormatVersion)
                throw new InvalidDataException($"{_path} is not a retained-message file of this version");
            int count = reader.ReadInt32();
            for (int i = 0; i < count; i++)
            {
                var m = ReadMessage(reader);
                _messages[m.Topic] = m;
            }
            return [.. _messages.Values];
        }
    }

    public void Apply(MqttApplicationMessage changed)
    {
        lock (_lock)
        {
            if (changed.Payload.IsEmpty) _messages.Remove(changed.Topic);
            else _messages[changed.Topic] = changed;
            _version++;
        }
    }

    public void Clear()
    {
        lock (_lock) { _messages.Clear(); _version++; }
    }

    public void Flush()
    {
        MqttApplicationMessage[] snapshot;
        long version;
        lock (_lock)
        {
            version = _version;
            if (version == _flushedVersion) return;
            snapshot = [.. _messages.Values];
        }
        var temp = _path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        using (var writer = new BinaryWriter(stream, Encoding.UTF8))
        {
            writer.Write(Magic);
            writer.Write(FormatVersion);
            writer.Write(snapshot.Length);
            foreach (var m in snapshot) WriteMessage(writer, m);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, _path, overwrite: true);
        Interlocked.Exchange(ref _flushedVersion, version);
    }

    private static void WriteMessage(BinaryWriter w, MqttApplicationMessage m) => MessageCodec.Write(w, m);

    private static MqttApplicationMessage ReadMessage(BinaryReader r) => MessageCodec.Read(r).WithRetainFlag(true).Build();
}
