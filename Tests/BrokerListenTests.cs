using System.Net;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>
/// The broker host listens exactly where <c>--bind</c> says, the plain and the TLS listener alike, and nowhere else
/// (no [::] next to 127.0.0.1): the host's listening sockets are read from /proc and compared as a set.
/// </summary>
public class BrokerListenTests
{
    [Fact]
    public async Task By_default_the_broker_host_listens_on_ipv4_loopback_only()
    {
        var port = FreePort.Next();
        using var data = new TemporaryFolder();
        await using var broker = await StartAsync(port, data.Path);

        ListeningSockets.Of(broker.Id).Should().BeEquivalentTo([new IPEndPoint(IPAddress.Loopback, port)]);
    }

    [Fact]
    public async Task Given_ipv4_and_ipv6_addresses_it_listens_on_those_alone_with_tls_too()
    {
        var certificates = await DevelopmentCertificates.EnsureAsync();
        int port = FreePort.Next(), tlsPort = FreePort.Next();
        using var data = new TemporaryFolder();
        await using var broker = await StartAsync(port, data.Path, "--bind", "127.0.0.1", "--bind", "::1",
            "--tls-port", HostProcess.Number(tlsPort), "--tls-cert", Path.Combine(certificates, "server.crt"),
            "--tls-key", Path.Combine(certificates, "server.key"));

        ListeningSockets.Of(broker.Id).Should().BeEquivalentTo((IPEndPoint[])
        [
            new(IPAddress.Loopback, port), new(IPAddress.IPv6Loopback, port),
            new(IPAddress.Loopback, tlsPort), new(IPAddress.IPv6Loopback, tlsPort),
        ]);
    }

    [Fact]
    public async Task Addresses_may_be_given_separated_by_commas_and_ipv6_alone()
    {
        var port = FreePort.Next();
        using var data = new TemporaryFolder();
        await using var broker = await StartAsync(port, data.Path, "--bind", "::1");
        ListeningSockets.Of(broker.Id).Should().BeEquivalentTo([new IPEndPoint(IPAddress.IPv6Loopback, port)]);

        var second = FreePort.Next();
        await using var both = await StartAsync(second, data.Path + "-2", "--bind", "::1,127.0.0.1");
        ListeningSockets.Of(both.Id).Should().BeEquivalentTo([new IPEndPoint(IPAddress.IPv6Loopback, second), new IPEndPoint(IPAddress.Loopback, second)]);
    }

    /// <summary>Starts the broker host and waits for its "listening" log line (EventId 4003), logged once every listener is open.</summary>
    private static async Task<HostProcess> StartAsync(int port, string data, params string[] extra)
    {
        var broker = HostProcess.StartBroker(port, data, extra);
        try
        {
            await Deadline.UntilAsync(() => broker.HasExited
                ? throw new InvalidOperationException("the broker host exited:\n" + string.Join('\n', broker.Output))
                : Task.FromResult(broker.Output.Any(line => line.Contains("[4003]", StringComparison.Ordinal))), "the broker host listening");
            return broker;
        }
        catch
        {
            await broker.DisposeAsync();
            throw;
        }
    }

    private sealed class TemporaryFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("mqttiot-listen-").FullName;

        public void Dispose()
        {
            foreach (var dir in (string[])[Path, Path + "-2"])
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
