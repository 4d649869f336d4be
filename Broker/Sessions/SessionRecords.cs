using System.Buffers.Binary;
using System.Text;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace MqttIoT.Broker;

/// <summary>The kinds of record in <c>sessions.log</c>; their bodies are written by <see cref="SessionRecords"/>.</summary>
internal enum SessionRecordTag : byte { Session = 1, Offline = 2, Remove = 3, Subscribe = 4, Unsubscribe = 5, Message = 6, Ack = 7 }

/// <summary>
/// The binary format of <c>sessions.log</c>: an 8-byte header (magic, format version), then records
/// <c>[length of what follows it: int32][tag][client id][body][FNV-1a of tag..body: uint32]</c>. Builds one record at a
/// time into a reused buffer (not thread-safe: its owner serialises calls) and frames the records of a file read back.
/// What a record means is <see cref="SessionState.Apply"/>'s job.
/// </summary>
internal sealed class SessionRecords : IDisposable
{
    public const uint Magic = 0x4D515353; // "MQSS"
    public const int FormatVersion = 1;
    public const int HeaderLength = 8;

    private readonly MemoryStream _record = new();
    private readonly BinaryWriter _writer;

    public SessionRecords() => _writer = new BinaryWriter(_record, Encoding.UTF8, leaveOpen: true);

    public static readonly Action<BinaryWriter> NoBody = static _ => { };

    /// <summary>
    /// Builds one whole record. The bytes are valid until the next call; <see cref="Content"/> of them is what
    /// <see cref="SessionState.Apply"/> reads.
    /// </summary>
    public ArraySegment<byte> Build(SessionRecordTag tag, string clientId, Action<BinaryWriter> body)
    {
        _record.SetLength(0);
        _writer.Write(0);
        _writer.Write((byte)tag);
        _writer.Write(clientId);
        body(_writer);
        _writer.Flush();
        var content = (int)_record.Length - 4;
        _writer.Write(Fnv1a(_record.GetBuffer().AsSpan(4, content)));
        _writer.Flush();
        BinaryPrimitives.WriteInt32LittleEndian(_record.GetBuffer(), content + 4);
        return new ArraySegment<byte>(_record.GetBuffer(), 0, (int)_record.Length);
    }

    /// <summary>A whole record's content (tag to body): without its length and checksum.</summary>
    public static ArraySegment<byte> Content(ArraySegment<byte> record) => record.Slice(4, record.Count - 8);

    public static void WriteHeader(Stream stream)
    {
        Span<byte> header = stackalloc byte[HeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], FormatVersion);
        stream.Write(header);
    }

    public static bool HasHeader(ReadOnlySpan<byte> file) =>
        file.Length >= HeaderLength && BinaryPrimitives.ReadUInt32LittleEndian(file) == Magic
        && BinaryPrimitives.ReadInt32LittleEndian(file[4..]) == FormatVersion;

    /// <summary>How reading a log's records ended.</summary>
    internal enum End { Whole, TornTail, Damaged }

    /// <summary>
    /// Hands each whole record's content of <paramref name="file"/> (header checked by the caller) to
    /// <paramref name="apply"/>, up to the first record that is not whole. A record cut short at the end is a write
    /// the process did not finish (<see cref="End.TornTail"/>); a wrong length, a bad checksum or a record
    /// <paramref name="apply"/> cannot decode is damage (<see cref="End.Damaged"/>).
    /// </summary>
    public static (End End, int Records, long Offset) ReadAll(byte[] file, Action<byte[], int, int> apply)
    {
        long offset = HeaderLength;
        var records = 0;
        while (offset + 4 <= file.Length)
        {
            long length = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan((int)offset));
            if (length < 5) return (End.Damaged, records, offset);
            if (offset + 4 + length > file.Length) break; // the last write did not finish
            var content = file.AsSpan((int)offset + 4, (int)length - 4);
            if (BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan((int)(offset + length))) != Fnv1a(content)) return (End.Damaged, records, offset);
            try { apply(file, (int)offset + 4, (int)length - 4); }
            catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException or ArgumentException or FormatException or IOException)
            {
                return (End.Damaged, records, offset);
            }
            offset += 4 + length;
            records++;
        }
        return (offset < file.Length ? End.TornTail : End.Whole, records, offset);
    }

    // The bodies of the records, each read back in SessionState.Apply.
    public static void WriteSession(BinaryWriter w, string? userName, uint expiryInterval, MqttProtocolVersion version)
    {
        MessageCodec.WriteNullable(w, userName);
        w.Write(expiryInterval);
        w.Write((byte)version);
    }

    public static void WriteOffline(BinaryWriter w, uint expiryInterval, DateTimeOffset since)
    {
        w.Write(expiryInterval);
        w.Write(since.ToUnixTimeMilliseconds());
    }

    public static void WriteMessage(BinaryWriter w, long sequence, MqttQualityOfServiceLevel qos, bool retain, MqttApplicationMessage message)
    {
        w.Write(sequence);
        w.Write((byte)qos);
        w.Write(retain);
        w.Write(message.MessageExpiryInterval);
        MessageCodec.Write(w, message);
    }

    public static void WriteSubscription(BinaryWriter w, StoredSubscription s)
    {
        w.Write(s.Filter);
        w.Write((byte)s.QualityOfService);
        w.Write(s.NoLocal);
        w.Write(s.RetainAsPublished);
        w.Write(s.SubscriptionIdentifier);
    }

    public static StoredSubscription ReadSubscription(BinaryReader r) =>
        new(r.ReadString(), (MqttQualityOfServiceLevel)r.ReadByte(), r.ReadBoolean(), r.ReadBoolean(), r.ReadUInt32());

    private static uint Fnv1a(ReadOnlySpan<byte> data)
    {
        var hash = 2166136261u;
        foreach (var b in data) hash = (hash ^ b) * 16777619u;
        return hash;
    }

    public void Dispose()
    {
        _writer.Dispose();
        _record.Dispose();
    }
}
