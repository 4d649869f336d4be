using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using MQTTnet;
using MQTTnet.Protocol;
using MqttIoT.Benchmarks.Infrastructure;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Benchmarks.Scenarios;

/// <summary>
/// Item 5, gateway half: the gateway host as a child process with 10,000 simulated devices, discovered and
/// connected at start, each notifying its temperature every second (the host's defaults). Measured: the time from
/// launching the process until every device's props (connected) are retained at the broker, checked by a fresh
/// subscriber that receives them as retained messages, and the process's resident memory once it is steady.
/// </summary>
public sealed class GatewayScaleScenario : IScenario
{
    private const string Station = "scale-1";
    private const double LimitMb = 250;

    /// <inheritdoc />
    public string Name => "gateway-scale";

    /// <inheritdoc />
    public string Title => "5. Scale: a gateway host with 10,000 simulated devices (time until all props are retained, resident memory)";

    /// <inheritdoc />
    public async Task RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        int devices = context.Scale(200, 10_000), notifyMs = 1_000;
        var settle = TimeSpan.FromSeconds(context.Scale(1, 5));
        var limit = TimeSpan.FromSeconds(context.Scale(30, 90));
        var dll = Path.Combine(context.RepositoryRoot, "Gateway", "bin", "Release", "net10.0", "MqttIoT.Gateway.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"build the gateway host in Release first ({dll})");
        foreach (var kind in context.Options.Brokers)
        {
            await using var broker = await context.StartBrokerAsync(kind);
            context.Log($"{Name} on {broker.Name}: gateway host with {devices:N0} devices, notifying every {notifyMs} ms");
            var connected = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
            var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var watcher = await BareMqtt.ConnectAsync(broker.Port, "scale-watch", cancellationToken);
            try
            {
                watcher.ApplicationMessageReceivedAsync += e =>
                {
                    if (IsConnectedProps(e.ApplicationMessage) && connected.TryAdd(e.ApplicationMessage.Topic, true) && connected.Count == devices)
                        all.TrySetResult();
                    return Task.CompletedTask;
                };
                await BareMqtt.SubscribeAsync(watcher, $"iot/v1/stations/{Station}/devices/+/props", MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken);

                var clock = Stopwatch.StartNew();
                await using var gateway = ChildProcess.Start("dotnet",
                    [dll, "--host", "127.0.0.1", "--port", broker.Port.ToString(CultureInfo.InvariantCulture), "--station", Station,
                     "--devices", devices.ToString(CultureInfo.InvariantCulture), "--notify-ms", notifyMs.ToString(CultureInfo.InvariantCulture)],
                    context.Scratch, new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning" });
                var finished = await Task.WhenAny(all.Task, Task.Delay(limit, cancellationToken));
                var allProps = clock.Elapsed;
                if (finished != all.Task)
                    throw new TimeoutException($"only {connected.Count} of {devices} devices' props within {limit.TotalSeconds} s; gateway said:\n{gateway.Output}");

                var retained = await CountRetainedAsync(broker.Port, devices, limit, cancellationToken);
                await Task.Delay(settle, cancellationToken);
                var (rss, peak) = gateway.Memory();
                if (gateway.HasExited) throw new InvalidOperationException($"the gateway exited:\n{gateway.Output}");
                var problems = gateway.Problems();
                foreach (var line in problems.Take(5)) context.Log($"  gateway logged: {line}");
                var warnings = problems.Count;

                context.Add(new ResultRow("5 scale", $"gateway, {devices:N0} devices: launch until every device's props are retained", broker.Name,
                    allProps.TotalSeconds, null, "s", "", null, retained == devices ? "" : $"a fresh subscriber got {retained} retained"));
                var (text, met) = Target.Under(rss / 1048576.0, LimitMb, "MB");
                context.Add(new ResultRow("5 scale", $"gateway, {devices:N0} devices notifying every {notifyMs} ms: resident memory after {settle.TotalSeconds:0} s", broker.Name,
                    rss / 1048576.0, null, "MB", text, met, $"peak {peak / 1048576.0:0} MB" + (warnings > 0 ? $"; the gateway logged {warnings} warnings" : "")));
            }
            finally
            {
                await BareMqtt.CloseAsync(watcher);
            }
        }
    }

    private static bool IsConnectedProps(MqttApplicationMessage m) =>
        m.Payload.Length > 0 && System.Text.Encoding.UTF8.GetString(System.Buffers.BuffersExtensions.ToArray(m.Payload)).Contains("\"connected\":true", StringComparison.Ordinal);

    /// <summary>A fresh subscriber's count of retained device props (connected) that the broker sends at subscribe.</summary>
    private static async Task<int> CountRetainedAsync(int port, int devices, TimeSpan limit, CancellationToken cancellationToken)
    {
        var seen = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var client = await BareMqtt.ConnectAsync(port, "scale-check", cancellationToken);
        try
        {
            client.ApplicationMessageReceivedAsync += e =>
            {
                if (e.ApplicationMessage.Retain && IsConnectedProps(e.ApplicationMessage) && seen.TryAdd(e.ApplicationMessage.Topic, true) && seen.Count == devices)
                    all.TrySetResult();
                return Task.CompletedTask;
            };
            await BareMqtt.SubscribeAsync(client, $"iot/v1/stations/{Station}/devices/+/props", MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken);
            await Task.WhenAny(all.Task, Task.Delay(limit, cancellationToken));
            return seen.Count;
        }
        finally
        {
            await BareMqtt.CloseAsync(client);
        }
    }
}
