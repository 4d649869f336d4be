namespace MqttIoT.OpcUa.Transport;

/// <summary>The chunks of one response received so far, counted and concatenated when its last chunk comes.</summary>
internal sealed class PartialMessage
{
    private readonly List<ReadOnlyMemory<byte>> _pieces = [];

    public int Chunks { get; private set; }
    public long Length { get; private set; }
    public bool Discarded { get; private set; }

    public void Add(ReadOnlyMemory<byte> piece)
    {
        _pieces.Add(piece);
        Chunks++;
        Length += piece.Length;
    }

    public void Discard()
    {
        Discarded = true;
        _pieces.Clear();
    }

    public byte[] ToArray()
    {
        var all = new byte[Length];
        int at = 0;
        foreach (var piece in _pieces)
        {
            piece.Span.CopyTo(all.AsSpan(at));
            at += piece.Length;
        }
        return all;
    }
}
