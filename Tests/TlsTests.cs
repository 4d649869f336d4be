using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>
/// Both brokers listen with TLS too; the Sdk, the gateway and the hub verify the broker against the CA they are given, and
/// present client certificates to a broker that asks for them.
/// </summary>
public class TlsTests
{
    [Fact]
    public async Task The_sdk_talks_to_a_gateway_over_tls_verifying_the_broker()
    {
        await using var env = await TestEnvironment.StartAsync();
        var certificates = await DevelopmentCertificates.EnsureAsync();
        await using var client = await IoTHubClient.ConnectAsync(new IoTHubClientOptions
        {
            Port = env.TlsPort, UseTls = true, TlsCaFile = Path.Combine(certificates, "ca.crt"),
            Username = env.ClientCredentials.User, Password = env.ClientCredentials.Password,
        }, env.LoggerFactory, cancellationToken: Deadline.Token());
        (await client.GetDevice("sim-1", "dev-0001").ReadValueAsync("setpoint")).Should().Equal("20.0"u8.ToArray());
    }

    [Fact]
    public async Task A_gateway_connects_over_tls_too()
    {
        var certificates = await DevelopmentCertificates.EnsureAsync();
        await using var env = await TestEnvironment.StartAsync(gateway: false);
        await env.StartGatewayAsync(configureGateway: g =>
        {
            g.Mqtt.Port = env.TlsPort;
            g.Mqtt.UseTls = true;
            g.Mqtt.TlsCaFile = Path.Combine(certificates, "ca.crt");
        });
        var client = await env.ConnectClientAsync();
        (await client.GetStation("sim-1").ListConnectedDevicesAsync()).Should().HaveCount(3);
    }

    [Fact]
    public async Task A_broker_whose_certificate_is_not_from_the_trusted_ca_is_refused()
    {
        await using var env = await TestEnvironment.StartAsync(gateway: false);
        var other = await DevelopmentCertificates.OtherAuthorityAsync();
        var connect = () => IoTHubClient.ConnectAsync(new IoTHubClientOptions
        {
            Port = env.TlsPort, UseTls = true, TlsCaFile = other,
            Username = env.ClientCredentials.User, Password = env.ClientCredentials.Password,
        }, env.LoggerFactory, cancellationToken: Deadline.Token());
        await connect.Should().ThrowAsync<Exception>();
    }

    [Fact]
    public async Task The_hub_host_connects_over_tls_with_its_own_user_and_answers_queries()
    {
        var certificates = await DevelopmentCertificates.EnsureAsync();
        await using var env = await TestEnvironment.StartAsync();
        await using var hub = HostProcess.StartHub(env.TlsPort, Path.Combine(env.DataDirectory, "hub"),
            "--ca-file", Path.Combine(certificates, "ca.crt"), "--username", "hub", "--password", MosquittoBroker.Password);
        var client = await env.ConnectClientAsync(TimeSpan.FromSeconds(2));

        StationRecord? station = null;
        await Deadline.UntilAsync(async () =>
        {
            hub.HasExited.Should().BeFalse(string.Join('\n', hub.Output));
            try { station = await client.GetStationAsync("sim-1"); }
            catch (IoTException e) when (e.Code is ErrorCode.Unavailable or ErrorCode.DeadlineExceeded or ErrorCode.UnknownStation) { return false; }
            return station.Online;
        }, $"the hub, connected over TLS, knows sim-1 online; its output:\n{string.Join('\n', hub.Output)}", TimeSpan.FromSeconds(60));
        station!.Id.Should().Be("sim-1");
    }

    [Fact]
    public async Task A_broker_that_asks_for_client_certificates_lets_in_the_gateway_and_clients_that_present_one_and_no_others()
    {
        var certificates = await DevelopmentCertificates.EnsureAsync();
        await using var env = await TestEnvironment.StartAsync(gateway: false, requireClientCertificate: true);
        await env.StartGatewayAsync(configureGateway: g =>
        {
            g.Mqtt.Port = env.TlsPort;
            g.Mqtt.UseTls = true;
            g.Mqtt.TlsCaFile = Path.Combine(certificates, "ca.crt");
            g.Mqtt.TlsClientCertificateFile = Path.Combine(certificates, "client.crt");
            g.Mqtt.TlsClientKeyFile = Path.Combine(certificates, "client.key");
        });
        IoTHubClientOptions Options(bool withCertificate) => new()
        {
            Port = env.TlsPort, UseTls = true, TlsCaFile = Path.Combine(certificates, "ca.crt"),
            TlsClientCertificateFile = withCertificate ? Path.Combine(certificates, "client.crt") : null,
            TlsClientKeyFile = withCertificate ? Path.Combine(certificates, "client.key") : null,
            Username = env.ClientCredentials.User, Password = env.ClientCredentials.Password,
        };

        await using (var client = await IoTHubClient.ConnectAsync(Options(withCertificate: true), env.LoggerFactory, cancellationToken: Deadline.Token()))
            (await client.GetDevice("sim-1", "dev-0001").ReadValueAsync("setpoint")).Should().Equal("20.0"u8.ToArray());

        var without = () => IoTHubClient.ConnectAsync(Options(withCertificate: false), env.LoggerFactory, cancellationToken: Deadline.Token());
        await without.Should().ThrowAsync<Exception>("the broker asks for a client certificate and gets none");
    }
}
