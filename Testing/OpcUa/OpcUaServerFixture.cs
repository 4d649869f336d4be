using MqttIoT.OpcUa.Testing;
using Xunit;

namespace MqttIoT.OpcUa.Tests.Infrastructure;

/// <summary>One node-opcua server for the tests of a class that only read and watch (tests that stop it start their own).</summary>
public sealed class OpcUaServerFixture : IAsyncLifetime
{
    public OpcUaTestServer Server { get; private set; } = null!;

    public string EndpointUrl => Server.EndpointUrl;

    public async Task InitializeAsync() => Server = await OpcUaTestServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
