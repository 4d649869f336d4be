namespace MqttIoT.Broker;

/// <summary>
/// A read-side wrapper of a client's stream that follows the MQTT framing (fixed header, Remaining Length, body) of
/// what MQTTnet reads and fails the read as soon as a packet's Remaining Length says it is larger than the broker's
/// maximum, before MQTTnet allocates a buffer of that size: MQTTnet 5.2 allocates the whole body up front (up to
/// 256 MB, before any CONNECT), so a few bytes from any client could make the broker take gigabytes. Writes pass through.
/// </summary>
internal sealed class PacketSizeGuard(Stream inner, int maximumPacketSize) : Stream
{
    // Where the reader is in the current packet: 0 = at its first byte, 1..4 = reading Remaining Length, -1 = in the body.
    private int _state;
    private int _remaining;
    private int _multiplier;
    private long _bodyLeft;

    /// <summary>Set once a packet was refused: its declared size.</summary>
    public long? Refused { get; private set; }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Follow(buffer.Span[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = inner.Read(buffer, offset, count);
        Follow(buffer.AsSpan(offset, read));
        return read;
    }

    private void Follow(ReadOnlySpan<byte> bytes)
    {
        var i = 0;
        while (i < bytes.Length)
        {
            if (_state == -1)
            {
                var take = (int)Math.Min(_bodyLeft, bytes.Length - i);
                _bodyLeft -= take;
                i += take;
                if (_bodyLeft == 0) _state = 0;
                continue;
            }
            var b = bytes[i++];
            if (_state == 0)
            {
                _state = 1;
                _remaining = 0;
                _multiplier = 1;
                continue;
            }
            _remaining += (b & 0x7F) * _multiplier;
            _multiplier *= 128;
            if ((b & 0x80) != 0 && _state < 4)
            {
                _state++;
                continue;
            }
            // The whole packet: fixed header byte, Remaining Length bytes, body.
            if ((b & 0x80) != 0 || 1 + _state + (long)_remaining > maximumPacketSize)
            {
                Refused = 1 + _state + (long)_remaining;
                throw new IOException($"a packet of {Refused} bytes is larger than the broker's maximum of {maximumPacketSize}");
            }
            _bodyLeft = _remaining;
            _state = _bodyLeft == 0 ? 0 : -1;
        }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);
    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override void Flush() => inner.Flush();
    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
