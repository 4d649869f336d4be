using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MqttIoT.Broker;
using MqttIoT.Gateway;
using MqttIoT.Gateway.Backends.Ble;
using MqttIoT.Gateway.Backends.OpcUa;
using MqttIoT.Gateway.Backends.Simulated;
using MqttIoT.Hosting;
using MqttIoT.Hub;
using MqttIoT.Sdk;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests.Hosting;

/// <summary>The hosts' configuration (Hosting/README.md): layers and their precedence, validation at start, and the AddXxx registrations in a plain host.</summary>
public sealed class ConfigurationTests : IDisposable
{
    private readonly string _contentRoot = Directory.CreateTempSubdirectory("mqttiot-config-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_contentRoot, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Appsettings_json_then_MQTTIOT_variables_then_flags_reach_the_gateway_host_each_winning_over_the_one_before()
    {
        await using var env = await TestEnvironment.StartAsync(gateway: false, users: ["flag-st"]);
        await File.WriteAllTextAsync(Path.Combine(_contentRoot, "appsettings.json"), """
            {
              // only here: takes effect
              "Gateway": {
                "Simulated": { "StationId": "json-st", "DeviceCount": 4, "DevicePrefix": "json-", "DiscoveryInterval": "00:00:00.010" },
                "Mqtt": { "Port": 1 }
              }
            }
            """);
        var variables = new Dictionary<string, string>
        {
            // over appsettings.json; the station id and the port are given again by a flag, which wins
            ["MQTTIOT_Gateway__Simulated__DevicePrefix"] = "env-",
            ["MQTTIOT_GATEWAY__SIMULATED__STATIONID"] = "env-st",
            ["MQTTIOT_Gateway__Mqtt__Password"] = MosquittoBroker.Password,
        };
        await using var gateway = HostProcess.StartGatewayIn(_contentRoot, variables,
            "--port", HostProcess.Number(env.Port), "--station", "flag-st", "--username", "flag-st");
        await using var client = await env.ConnectClientAsync();

        IReadOnlyList<string> connected = [];
        await Deadline.UntilAsync(async () =>
        {
            try { connected = await client.GetStation("flag-st").ListConnectedDevicesAsync(); }
            catch (Sdk.IoTException) { return false; }
            return connected.Count == 4;
        }, "the gateway host serving flag-st with 4 devices\n" + string.Join('\n', gateway.Output), TimeSpan.FromSeconds(30));
        connected.Should().BeEquivalentTo("env-0001", "env-0002", "env-0003", "env-0004");
    }

    [Theory]
    [InlineData("""{"Gateway": {"MaxConcurrency": 0}}""", new string[0], "Gateway", "MaxConcurrency")]
    [InlineData("{}", new[] { "--devices", "20000" }, "Gateway", "DeviceCount")]
    [InlineData("{}", new[] { "--backend", "usb" }, "Gateway", "Gateway:Backend 'usb' is unknown")]
    [InlineData("{}", new[] { "--cert-file", "client.crt" }, "Gateway", "Gateway:Mqtt:TlsClientCertificateFile (--cert-file) needs")]
    [InlineData("""{"Hub": {"MaxBatch": -1}}""", new string[0], "Hub", "MaxBatch")]
    [InlineData("{}", new[] { "--batch-ms", "0" }, "Hub", "BatchWindow")]
    [InlineData("""{"Broker": {"ReceiveMaximum": 70000}}""", new string[0], "Broker", "ReceiveMaximum")]
    [InlineData("{}", new[] { "--bind", "loopback" }, "Broker", "Broker:BindAddress (--bind)")]
    public async Task An_invalid_option_stops_the_host_at_start_with_a_message_naming_it(string json, string[] flags, string host, string named)
    {
        await File.WriteAllTextAsync(Path.Combine(_contentRoot, "appsettings.json"), json);
        var settings = new HostApplicationBuilderSettings { ContentRootPath = _contentRoot };
        var root = new RootCommand();
        Func<ParseResult, HostApplicationBuilder> create;
        switch (host)
        {
            case "Gateway":
                var gateway = new GatewayCommandLine();
                gateway.AddTo(root);
                create = parse => GatewayHost.CreateBuilder(gateway, parse, settings);
                break;
            case "Hub":
                var hub = new HubCommandLine();
                hub.AddTo(root);
                create = parse => HubHost.CreateBuilder(hub, parse, settings);
                break;
            default:
                var broker = new BrokerHost();
                broker.AddTo(root);
                create = parse => broker.CreateBuilder(parse, settings);
                break;
        }
        var parse = root.Parse(flags);
        parse.Errors.Should().BeEmpty();

        // The host itself refuses to start (ValidateOnStart) ...
        using (var built = create(parse).Build())
        {
            var start = () => built.StartAsync(Deadline.Token());
            (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain(named);
        }
        // ... and the hosts' runner says so once and exits with 2, before any service is made.
        var again = create(parse).Build();
        HostRunner.Failures(again.Services).Should().Contain(named);
        (await HostRunner.RunAsync(again, Deadline.Token())).Should().Be(HostRunner.InvalidConfigurationExitCode);
    }

    [Fact]
    public void A_gateway_host_with_nothing_invalid_passes_validation_with_the_host_defaults()
    {
        var root = new RootCommand();
        var cli = new GatewayCommandLine();
        cli.AddTo(root);
        using var host = GatewayHost.CreateBuilder(cli, root.Parse(["--station", "ok-1"]),
            new HostApplicationBuilderSettings { ContentRootPath = _contentRoot }).Build();
        HostRunner.Failures(host.Services).Should().BeNull();
        host.Services.GetRequiredService<IOptions<SimulatedStationOptions>>().Value.Should()
            .BeEquivalentTo(new { StationId = "ok-1", AutoDiscover = true, AutoConnect = true, DeviceCount = 5 });
    }

    [Fact]
    public void The_opcua_flags_reach_the_options_a_repeated_type_as_a_list()
    {
        var root = new RootCommand();
        var cli = new GatewayCommandLine();
        cli.AddTo(root);
        using var host = GatewayHost.CreateBuilder(cli, root.Parse(["--backend", "opcua", "--endpoint", "opc.tcp://127.0.0.1:4840/x",
            "--opcua-depth", "3", "--opcua-type", "ns=2;i=1001", "--opcua-type", "ns=2;i=1002", "--opcua-key-depth", "2",
            "--opcua-security", "best", "--opcua-trust-on-first-use"]), new HostApplicationBuilderSettings { ContentRootPath = _contentRoot }).Build();
        HostRunner.Failures(host.Services).Should().BeNull();
        host.Services.GetRequiredService<IOptions<OpcUaStationOptions>>().Value.Should().BeEquivalentTo(new
        {
            StationId = "opcua-1", Endpoint = "opc.tcp://127.0.0.1:4840/x", SearchDepth = 3, DeviceTypes = new[] { "ns=2;i=1001", "ns=2;i=1002" },
            KeyDepth = 2, Security = "best", TrustServerCertificateOnFirstUse = true, AutoDiscover = true, AutoConnect = true,
        });
    }

    [Fact]
    public async Task An_opcua_gateway_without_a_station_flag_is_named_opcua_1_not_after_the_simulated_default()
    {
        var root = new RootCommand();
        var cli = new GatewayCommandLine();
        cli.AddTo(root);
        await using var backend = cli.CreateBackend(root.Parse(["--backend", "opcua", "--endpoint", "opc.tcp://127.0.0.1:4840/x"]), TimeProvider.System);
        backend.Id.Should().Be("opcua-1");
        await using var simulated = cli.CreateBackend(root.Parse([]), TimeProvider.System);
        simulated.Id.Should().Be("sim-1");
    }

    [Fact]
    public async Task AddGateway_and_AddSimulatedStation_in_a_plain_host_serve_a_device_end_to_end()
    {
        await using var env = await TestEnvironment.StartAsync(gateway: false, users: ["di-1"]);
        var (user, password) = env.GatewayCredentials("di-1");
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = _contentRoot });
        builder.Logging.AddProvider(env.Logs);
        builder.Services
            .AddGateway(o =>
            {
                o.Mqtt.Port = env.Port;
                (o.Mqtt.Username, o.Mqtt.Password) = (user, password);
            })
            .AddSimulatedStation(o =>
            {
                o.StationId = "di-1";
                o.DeviceCount = 2;
                o.DiscoveryInterval = TimeSpan.FromMilliseconds(10);
                o.AutoDiscover = o.AutoConnect = true;
            });
        using var host = builder.Build();
        await host.StartAsync(Deadline.Token());
        try
        {
            await using var client = await env.ConnectClientAsync();
            var station = client.GetStation("di-1");
            await Deadline.UntilAsync(async () => (await station.ListConnectedDevicesAsync()).Count == 2, "both devices connected");
            var written = await client.GetDevice("di-1", "dev-0002").WriteTextAsync("setpoint", "18.5");
            written.Should().Be(4);
            System.Text.Encoding.UTF8.GetString(await client.GetDevice("di-1", "dev-0002").ReadValueAsync("setpoint")).Should().Be("18.5");
        }
        finally
        {
            await host.StopAsync(Deadline.Token());
        }
    }

    [Fact]
    public async Task AddIoTHubClient_resolves_one_connected_client_that_reads_a_device()
    {
        await using var env = await TestEnvironment.StartAsync();
        var services = new ServiceCollection().AddLogging().AddIoTHubClient(o =>
        {
            o.Port = env.Port;
            (o.Username, o.Password) = env.ClientCredentials;
        });
        await using var provider = services.BuildServiceProvider();
        var clients = provider.GetRequiredService<IoTHubClientProvider>();

        var client = await clients.GetClientAsync(Deadline.Token());
        client.IsConnected.Should().BeTrue();
        (await clients.GetClientAsync(Deadline.Token())).Should().BeSameAs(client);
        (await client.GetStation("sim-1").ListConnectedDevicesAsync()).Should().HaveCount(3);
    }

    [Fact]
    public async Task AddIoTHubClient_with_an_invalid_option_fails_at_host_start_naming_it()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = _contentRoot });
        builder.Services.AddIoTHubClient(o => o.Port = 0);
        using var host = builder.Build();
        var start = () => host.StartAsync(Deadline.Token());
        (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain("IoTHubClientOptions.Port 0");
        var connect = async () => await host.Services.GetRequiredService<IoTHubClientProvider>().GetClientAsync(Deadline.Token());
        await connect.Should().ThrowAsync<OptionsValidationException>();
    }

    [Theory]
    [InlineData("Gateway")]
    [InlineData("HubService")]
    [InlineData("Broker")]
    [InlineData("Demo")]
    public void The_example_appsettings_json_of_a_host_names_only_real_options(string folder)
    {
        var file = new ConfigurationBuilder().AddJsonFile(Path.Combine(MosquittoBroker.RepositoryRoot, folder, "appsettings.json")).Build();
        var sections = new (string Section, Type Options, string[] Besides)[]
        {
            ("Gateway", typeof(GatewayOptions), ["Backend", "Simulated", "OpcUa", "Ble"]),
            ("Gateway:Simulated", typeof(SimulatedStationOptions), []),
            ("Gateway:OpcUa", typeof(OpcUaStationOptions), []),
            ("Gateway:Ble", typeof(BleStationOptions), ["ConfigFile"]),
            ("Hub", typeof(HubOptions), []),
            // The binder cannot make an IPAddress from text: the broker host parses BindAddress itself.
            ("Broker", typeof(BrokerOptions), ["BindAddress"]),
        };
        var found = 0;
        foreach (var (section, type, besides) in sections.Where(s => file.GetSection(s.Section).Exists()))
        {
            // Only the section's own keys: the keys of another options class nested in it, and the host's own, are checked apart.
            var keys = file.GetSection(section).AsEnumerable(makePathsRelative: true)
                .Where(kv => kv.Value is not null && !besides.Any(b => kv.Key.StartsWith(b, StringComparison.OrdinalIgnoreCase)));
            var own = new ConfigurationBuilder().AddInMemoryCollection(keys).Build();
            var bind = () => own.Get(type, o => o.ErrorOnUnknownConfiguration = true);
            bind.Should().NotThrow($"every key of {folder}/appsettings.json's {section} is an option of {type.Name}");
            found++;
        }
        found.Should().BeGreaterThan(0);
    }

    [Fact]
    public void The_example_appsettings_json_of_each_host_holds_the_defaults()
    {
        var empty = new RootCommand();
        var gateway = new GatewayCommandLine();
        gateway.AddTo(empty);
        var hubRoot = new RootCommand();
        var hub = new HubCommandLine();
        hub.AddTo(hubRoot);
        var brokerRoot = new RootCommand();
        var broker = new BrokerHost();
        broker.AddTo(brokerRoot);
        foreach (var (folder, create, options) in new (string, Func<string, HostApplicationBuilder>, Type[])[]
        {
            ("Gateway", root => GatewayHost.CreateBuilder(gateway, empty.Parse([]), Settings(root)), [typeof(GatewayOptions), typeof(SimulatedStationOptions)]),
            ("HubService", root => HubHost.CreateBuilder(hub, hubRoot.Parse([]), Settings(root)), [typeof(HubOptions)]),
            ("Broker", root => broker.CreateBuilder(brokerRoot.Parse([]), Settings(root)), [typeof(BrokerOptions)]),
        })
        {
            using var withExample = create(Path.Combine(MosquittoBroker.RepositoryRoot, folder)).Build();
            using var without = create(_contentRoot).Build();
            HostRunner.Failures(withExample.Services).Should().BeNull();
            foreach (var type in options)
            {
                var value = typeof(IOptions<>).MakeGenericType(type).GetProperty("Value")!;
                value.GetValue(withExample.Services.GetRequiredService(typeof(IOptions<>).MakeGenericType(type))).Should()
                    .BeEquivalentTo(value.GetValue(without.Services.GetRequiredService(typeof(IOptions<>).MakeGenericType(type))),
                        $"{folder}/appsettings.json only spells out the defaults of {type.Name}");
            }
        }
    }

    private static HostApplicationBuilderSettings Settings(string contentRoot) => new() { ContentRootPath = contentRoot };
}
