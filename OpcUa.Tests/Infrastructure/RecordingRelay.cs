using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MqttIoT.OpcUa.Tests.Infrastructure;

/// <summary>
/// A loopback relay between one client and the test server that writes down every chunk the client sends (its
/// type and the bytes after its 8-byte header), so a test can check what went on the wire against a real server.
/// </summary>
public sealed class RecordingRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<(string Type, byte[] Body)> _sent = [];
    private readonly TaskCompletionSource _clientClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _relay;

    public RecordingRelay(string serverEndpointUrl)
    {
        var server = new Uri(serverEndpointUrl);
        _listener.Start();
        EndpointUrl = new UriBuilder(server) { Port = ((IPEndPoint)_listener.LocalEndpoint).Port }.Uri.ToString().TrimEnd('/');
        _relay = RelayAsync(server.Port, _stop.Token);
    }

    /// <summary>The URL to connect to instead of the server's.</summary>
    public string EndpointUrl { get; }

    /// <summary>The chunks the client sent so far.</summary>
    public IReadOnlyList<(string Type, byte[] Body)> Sent
    {
        get { lock (_sent) return [.. _sent]; }
    }

    /// <summary>Completes when the client closed its side of the connection.</summary>
    public Task ClientClosed => _clientClosed.Task;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try { await _relay; } catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException) { }
        _stop.Dispose();
    }

    private async Task RelayAsync(int serverPort, CancellationToken cancellationToken)
    {
        using var client = await _listener.AcceptTcpClientAsync(cancellationToken);
        using var server = new TcpClient();
        await server.ConnectAsync(IPAddress.Loopback, serverPort, cancellationToken);
        var fromServer = server.GetStream().CopyToAsync(client.GetStream(), cancellationToken);
        var toServer = client.GetStream();
        var header = new byte[8];
        try
        {
            while (true)
            {
                await toServer.ReadExactlyAsync(header, cancellationToken);
                var body = new byte[BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4)) - 8];
                await toServer.ReadExactlyAsync(body, cancellationToken);
                lock (_sent) _sent.Add((Encoding.ASCII.GetString(header, 0, 3), body));
                await server.GetStream().WriteAsync(header, cancellationToken);
                await server.GetStream().WriteAsync(body, cancellationToken);
            }
        }
        catch (EndOfStreamException) { _clientClosed.TrySetResult(); }
        catch (IOException) { _clientClosed.TrySetResult(); }
        server.Close();
        try { await fromServer; } catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException) { }
    }
}
