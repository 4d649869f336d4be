using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using MQTTnet.Adapter;
using MQTTnet.Diagnostics.Logger;
using MQTTnet.Formatter;
using MQTTnet.Implementations;

namespace MqttIoT.Broker;

/// <summary>
/// One listening socket of the broker, on exactly one address and port, plain or TLS, in place of MQTTnet's own
/// listener (which binds an IPv6 socket on [::] next to the IPv4 one and has no hook into the stream). Each accepted
/// connection is read through a <see cref="PacketSizeGuard"/> and handed to MQTTnet as its own socket listener would;
/// connections beyond <see cref="BrokerOptions.MaxConnections"/> are closed at once, with a log line.
/// </summary>
internal sealed partial class TcpListener(IPEndPoint endpoint, X509Certificate2? certificate, RemoteCertificateValidationCallback? validateClient,
    bool requireClientCertificate, BrokerOptions options, ConnectionCount connections, IMqttNetLogger mqttLogger, ILogger logger) : IDisposable
{
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);
    private readonly CancellationTokenSource _stopping = new();
    private Socket? _socket;
    private Task? _accepting;

    public IPEndPoint Endpoint => endpoint;

    public void Start(Func<IMqttChannelAdapter, Task> handler)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        // An IPv6 socket listens on IPv6 only: an IPv4 address is a listener of its own.
        if (endpoint.AddressFamily == AddressFamily.InterNetworkV6) socket.DualMode = false;
        socket.Bind(endpoint);
        socket.Listen(512);
        _socket = socket;
        _accepting = Task.Run(() => AcceptLoopAsync(socket, handler, _stopping.Token));
    }

    private async Task AcceptLoopAsync(Socket socket, Func<IMqttChannelAdapter, Task> handler, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try { client = await socket.AcceptAsync(cancellationToken).ConfigureAwait(false); }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException) { return; }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset or SocketError.OperationAborted) { continue; }
            if (!connections.TryEnter())
            {
                // A flood: refused before any byte is read, so it costs a socket for a moment and nothing else.
                client.LingerState = new LingerOption(true, 0);
                client.Dispose();
                var refused = connections.Refused();
                if (refused % 1000 == 1) LogTooManyConnections(options.MaxConnections, endpoint.ToString(), refused);
                continue;
            }
            _ = Task.Run(() => ServeAsync(client, handler), CancellationToken.None);
        }
    }

    private async Task ServeAsync(Socket client, Func<IMqttChannelAdapter, Task> handler)
    {
        Stream? stream = null;
        PacketSizeGuard? guard = null;
        var remote = client.RemoteEndPoint;
        try
        {
            client.NoDelay = true;
            stream = new NetworkStream(client, ownsSocket: true);
            X509Certificate2? clientCertificate = null;
            if (certificate is not null)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false, validateClient);
                stream = tls;
                using var handshake = new CancellationTokenSource(HandshakeTimeout);
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = certificate, ClientCertificateRequired = requireClientCertificate,
                    EncryptionPolicy = EncryptionPolicy.RequireEncryption,
                }, handshake.Token).ConfigureAwait(false);
                clientCertificate = tls.RemoteCertificate is { } presented ? X509CertificateLoader.LoadCertificate(presented.Export(X509ContentType.Cert)) : null;
            }
            guard = new PacketSizeGuard(stream, options.MaxPacketSize);
            stream = guard;
            var channel = new MqttTcpChannel(guard, endpoint, remote, clientCertificate);
            var formatter = new MqttPacketFormatterAdapter(new MqttBufferWriter(8192, 65536));
            using var adapter = new MqttChannelAdapter(channel, formatter, mqttLogger);
            await handler(adapter).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or System.Security.Authentication.AuthenticationException
            or OperationCanceledException or ObjectDisposedException)
        {
            // A client that went away, failed the TLS handshake or sent garbage: its connection ends, nothing else.
        }
        finally
        {
            if (guard?.Refused is { } size) LogPacketTooLarge(remote?.ToString() ?? "?", size, options.MaxPacketSize);
            if (stream is not null) await stream.DisposeAsync().ConfigureAwait(false);
            else client.Dispose();
            connections.Leave();
        }
    }

    public async Task StopAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _socket?.Dispose();
        if (_accepting is not null) await _accepting.ConfigureAwait(false);
    }

    public void Dispose()
    {
        _socket?.Dispose();
        _stopping.Dispose();
    }

    [LoggerMessage(EventId = 4019, Level = LogLevel.Warning, Message = "Refused a connection on {Endpoint}: {Max} clients are connected already ({Refused} refused so far)")]
    private partial void LogTooManyConnections(int max, string endpoint, long refused);

    [LoggerMessage(EventId = 4020, Level = LogLevel.Warning, Message = "Closed the connection of {Remote}: it sent a packet of {Size} bytes, more than the broker's maximum of {Max}")]
    private partial void LogPacketTooLarge(string remote, long size, int max);
}

/// <summary>The connections open on all of the broker's listeners, against <see cref="BrokerOptions.MaxConnections"/>.</summary>
internal sealed class ConnectionCount(int maximum)
{
    private int _open;
    private long _refused;

    public int Open => Volatile.Read(ref _open);

    public bool TryEnter()
    {
        if (Interlocked.Increment(ref _open) <= maximum) return true;
        Interlocked.Decrement(ref _open);
        return false;
    }

    public void Leave() => Interlocked.Decrement(ref _open);

    public long Refused() => Interlocked.Increment(ref _refused);
}
