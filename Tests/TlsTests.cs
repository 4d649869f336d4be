using MqttIoT.Sdk;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>Both brokers listen with TLS too; the Sdk and the gateway verify the broker against the CA they are given.</summary>
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
}
