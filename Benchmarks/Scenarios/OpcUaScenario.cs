using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using MqttIoT.Benchmarks.Infrastructure;
using MqttIoT.Gateway.Backends;
using MqttIoT.Gateway.Backends.OpcUa;
using MqttIoT.OpcUa;
using MqttIoT.OpcUa.Binary;
using MqttIoT.OpcUa.Services;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Benchmarks.Scenarios;

/// <summary>
/// OPC UA message security against None, on the node-opcua server of Tests/opcua-server (run with <c>--churn</c>, so
/// its 5,000 Many variables change every 200 ms): notifications/s reaching the gateway's event sink from an
/// <see cref="OpcUaStation"/> watching all 5,000 (the station's side of the MQTT publish), SignAndEncrypt beside
/// None; and closed-loop Read throughput (16 in flight) per policy in SignAndEncrypt, beside None. The broker plays no
/// part, so the rows say so.
/// </summary>
public sealed class OpcUaScenario : IScenario
{
    private const string Policy = "Basic256Sha256:SignAndEncrypt";

    /// <inheritdoc />
    public string Name => "opcua";

    /// <inheritdoc />
    public string Title => "8. OPC UA: notifications/s with 5,000 items and reads/s, each security policy beside None";

    /// <inheritdoc />
    public async Task RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(context.RepositoryRoot, "Tests", "opcua-server");
        if (!Directory.Exists(Path.Combine(folder, "node_modules"))) throw new DirectoryNotFoundException($"run {folder}/install.sh first");
        int port = FreePort();
        await using var server = ChildProcess.Start("node", ["server.js", port.ToString(CultureInfo.InvariantCulture), "--many", "--churn", "200", "--no-stdin"], folder);
        // The port opens before the address space is built: READY on its output says it is.
        var ready = Stopwatch.StartNew();
        while (!server.Output.Contains("READY ", StringComparison.Ordinal))
        {
            if (server.HasExited || ready.Elapsed > TimeSpan.FromSeconds(120)) throw new InvalidOperationException($"the OPC UA server did not start:\n{server.Output}");
            await Task.Delay(100, cancellationToken);
        }
        var endpoint = $"opc.tcp://127.0.0.1:{port}/UA/MqttIoT";
        var pki = Path.Combine(context.Scratch, "opcua-pki");
        var window = TimeSpan.FromSeconds(context.Scale(3, 10));

        var none = await NotificationsPerSecondAsync(context, endpoint, pki, "none", window, cancellationToken);
        var secured = await NotificationsPerSecondAsync(context, endpoint, pki, Policy, window, cancellationToken);
        context.Add(new ResultRow("8 opcua", $"notifications/s from 5,000 monitored items into the gateway sink, {Policy} vs None ({window.TotalSeconds:0} s)",
            "none (OPC UA)", secured, none, "notif/s", "", null, "the server changes all 5,000 every 200 ms: at most 25,000/s"));

        int reads = context.Scale(2_000, 20_000);
        var baseline = await ReadsPerSecondAsync(endpoint, pki, "None", MessageSecurityMode.None, reads, cancellationToken);
        foreach (var policy in new[] { "Basic256Sha256", "Aes128_Sha256_RsaOaep", "Aes256_Sha256_RsaPss" })
        {
            var rate = await ReadsPerSecondAsync(endpoint, pki, policy, MessageSecurityMode.SignAndEncrypt, reads, cancellationToken);
            context.Add(new ResultRow("8 opcua", $"Read throughput, 16 in flight ({reads:N0} reads), {policy}/SignAndEncrypt vs None", "none (OPC UA)",
                rate, baseline, "reads/s", "", null));
        }
    }

    private static async Task<double> NotificationsPerSecondAsync(BenchContext context, string endpoint, string pki, string security, TimeSpan window,
        CancellationToken cancellationToken)
    {
        var sink = new CountingSink();
        var options = new OpcUaStationOptions
        {
            StationId = "opcua-bench", Endpoint = endpoint, RootNode = "i=85", Security = security, PkiPath = pki, TrustServerCertificateOnFirstUse = true,
            PublishingInterval = TimeSpan.FromMilliseconds(100), SamplingIntervalMs = 100,
        };
        await using var station = new OpcUaStation(options, context.LoggerFactory);
        station.SetEventSink(sink);
        await station.StartAsync(cancellationToken);
        var connecting = Stopwatch.StartNew();
        while (station.GetProps().Attributes!["connection"]!.GetValue<string>() != "connected")
        {
            if (connecting.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"the station did not connect with {security}");
            await Task.Delay(100, cancellationToken);
        }
        await station.StartDiscoveryAsync(cancellationToken);
        await station.ConnectAsync("ns=1;s=Many", cancellationToken);
        var device = station.FindDevice("ns=1;s=Many")!;
        await Task.WhenAll(device.GetKeys().Select(k => device.EnableNotificationsAsync(k, cancellationToken)));
        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken); // the initial values pass before counting
        long before = sink.Count;
        var clock = Stopwatch.StartNew();
        await Task.Delay(window, cancellationToken);
        var rate = (sink.Count - before) / clock.Elapsed.TotalSeconds;
        context.Log($"opcua notifications with {security}: {rate:N0}/s");
        return rate;
    }

    private static async Task<double> ReadsPerSecondAsync(string endpoint, string pki, string policy, MessageSecurityMode mode, int reads,
        CancellationToken cancellationToken)
    {
        await using var session = await OpcUaSession.ConnectAsync(new OpcUaClientOptions
        {
            EndpointUrl = endpoint, SecurityPolicy = policy, SecurityMode = mode, PkiPath = pki, TrustServerCertificateOnFirstUse = true,
        }, cancellationToken: cancellationToken);
        var node = new ReadValueId(NodeId.Parse("ns=1;s=Boiler1.Setpoint"));
        int next = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= reads)
                await session.ReadAsync([node], 0, TimestampsToReturn.Neither, cancellationToken);
        }));
        return reads / clock.Elapsed.TotalSeconds;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class CountingSink : IBackendEventSink
    {
        private long _count;

        public long Count => Interlocked.Read(ref _count);

        public void OnNotified(string device, string key, ReadOnlyMemory<byte> value, JsonObject? extra = null) => Interlocked.Increment(ref _count);
        public void OnStationEvent(StationEventType type, string? device = null, JsonObject? data = null) { }
        public void OnDeviceEvent(string device, DeviceEventType type, string? key = null, JsonObject? data = null) { }
        public void OnDeviceRemoved(string device) { }
    }
}
