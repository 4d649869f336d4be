using System.Buffers.Binary;
using System.Text;

namespace MqttIoT.Gateway.Publishing;

/// <summary>One event as the outbox keeps it: its seq, when it happened, its wire type, its topic and its payload.</summary>
internal sealed record OutboxRecord(long Seq, DateTimeOffset Timestamp, string Type, string Topic, byte[] Payload)
{
    /// <summary>Bytes the record takes in the file (frame included), also what the byte bound counts.</summary>
    public int Size => OutboxRecordFormat.FrameBytes + OutboxRecordFormat.BodyBytes(this);
}

/// <summary>
/// The outbox file's layout: a magic header, then records, each framed as [u32 body length][u32 CRC-32 of the body][body],
/// the body being [i64 seq][i64 unix ms][u16 type length][type][u16 topic length][topic][i32 payload length][payload]
/// (little endian, strings UTF-8). A torn write leaves a short frame; a damaged one fails its checksum.
/// </summary>
internal static class OutboxRecordFormat
{
    public const int FrameBytes = 8;
    /// <summary>No record is bigger: a length above it is damage, not a record.</summary>
    public const int MaxBodyBytes = 16 * 1024 * 1024;
    public static ReadOnlySpan<byte> Magic => "MQIOTOB1"u8;

    public static int BodyBytes(OutboxRecord r) =>
        8 + 8 + 2 + Encoding.UTF8.GetByteCount(r.Type) + 2 + Encoding.UTF8.GetByteCount(r.Topic) + 4 + r.Payload.Length;

    public static void Write(Stream stream, OutboxRecord r)
    {
        var body = new byte[BodyBytes(r)];
        var span = body.AsSpan();
        BinaryPrimitives.WriteInt64LittleEndian(span, r.Seq);
        BinaryPrimitives.WriteInt64LittleEndian(span[8..], r.Timestamp.ToUnixTimeMilliseconds());
        var at = 16;
        at = WriteString(span, at, r.Type);
        at = WriteString(span, at, r.Topic);
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], r.Payload.Length);
        r.Payload.CopyTo(span[(at + 4)..]);
        Span<byte> frame = stackalloc byte[FrameBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)body.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(frame[4..], Crc32.Compute(body));
        stream.Write(frame);
        stream.Write(body);
    }

    /// <summary>Reads the next record; null at a clean end of file. Throws <see cref="InvalidDataException"/> when torn or damaged.</summary>
    public static OutboxRecord? Read(Stream stream)
    {
        Span<byte> frame = stackalloc byte[FrameBytes];
        var got = stream.ReadAtLeast(frame, FrameBytes, throwOnEndOfStream: false);
        if (got == 0) return null;
        if (got < FrameBytes) throw new InvalidDataException("torn record frame at the end of the file");
        var length = BinaryPrimitives.ReadUInt32LittleEndian(frame);
        if (length is < 24 or > MaxBodyBytes) throw new InvalidDataException($"record length {length} is out of bounds");
        var body = new byte[length];
        if (stream.ReadAtLeast(body, body.Length, throwOnEndOfStream: false) < body.Length) throw new InvalidDataException("torn record at the end of the file");
        if (Crc32.Compute(body) != BinaryPrimitives.ReadUInt32LittleEndian(frame[4..])) throw new InvalidDataException("record checksum mismatch");
        try
        {
            ReadOnlySpan<byte> span = body;
            var seq = BinaryPrimitives.ReadInt64LittleEndian(span);
            var timestamp = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64LittleEndian(span[8..]));
            var at = 16;
            var type = ReadString(span, ref at);
            var topic = ReadString(span, ref at);
            var payloadLength = BinaryPrimitives.ReadInt32LittleEndian(span[at..]);
            if (payloadLength != span.Length - at - 4) throw new InvalidDataException("record payload length does not match its frame");
            return new OutboxRecord(seq, timestamp, type, topic, span[(at + 4)..].ToArray());
        }
        catch (Exception ex) when (ex is ArgumentOutOfRangeException or ArgumentException)
        {
            throw new InvalidDataException("record body is malformed", ex);
        }
    }

    private static int WriteString(Span<byte> span, int at, string s)
    {
        var n = Encoding.UTF8.GetBytes(s, span[(at + 2)..]);
        BinaryPrimitives.WriteUInt16LittleEndian(span[at..], checked((ushort)n));
        return at + 2 + n;
    }

    private static string ReadString(ReadOnlySpan<byte> span, ref int at)
    {
        var n = BinaryPrimitives.ReadUInt16LittleEndian(span[at..]);
        var s = Encoding.UTF8.GetString(span.Slice(at + 2, n));
        at += 2 + n;
        return s;
    }
}

/// <summary>CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as zip and PNG use it.</summary>
internal static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        return table;
    }
}
