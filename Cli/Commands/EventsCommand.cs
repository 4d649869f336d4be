using System.CommandLine;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Cli.Commands;

/// <summary><c>events</c>: a tail of the events, like mosquitto_sub on the event topics but decoded: one line per event.</summary>
public static class EventsCommand
{
    /// <summary>Adds <c>events</c> to the root.</summary>
    public static void AddTo(RootCommand root, CommandRunner runner)
    {
        var station = new Option<string?>("--station") { Description = "Only this station's events" };
        var device = new Option<string?>("--device") { Description = "Only this device's events (station/device, or an id with --station)" };
        var type = new Option<string?>("--type") { Description = "Only events of this type: NOTIFIED, CONNECTED... or a station event (DISCOVERED...)" };
        var key = new Option<string?>("--key") { Description = "Only this key's events (NOTIFIED, NOTIFY_STARTED...)" };
        var bounds = new Bounds();
        var command = new Command("events", "Prints events as they happen (device and station events)") { station, device, type, key };
        bounds.AddTo(command);
        runner.Bind(command, async (ctx, ct) =>
        {
            var (s, d) = (ctx.Parse.GetValue(station), ctx.Parse.GetValue(device));
            if (d is not null && d.Contains('/', StringComparison.Ordinal)) (s, d) = DeviceTarget.Split(d);
            var typeName = ctx.Parse.GetValue(type)?.ToUpperInvariant();
            DeviceEventType? deviceType = null;
            StationEventType? stationType = null;
            if (typeName is not null)
            {
                if (WireName<DeviceEventType>.TryParse(typeName, out var dt)) deviceType = dt;
                else if (WireName<StationEventType>.TryParse(typeName, out var st)) stationType = st;
                else throw new UsageException($"unknown event type '{typeName}' (device: {string.Join(", ", WireName<DeviceEventType>.All)}; station: {string.Join(", ", WireName<StationEventType>.All)})");
            }
            var k = ctx.Parse.GetValue(key);
            using var deadline = bounds.Deadline(ctx.Parse, ct);
            var lines = Channel.CreateUnbounded<(IReadOnlyList<string?>, JsonObject)>();
            var pumps = new List<Task>();
            if (stationType is null)
            {
                var sub = await (await ctx.ClientAsync(ct)).SubscribeDeviceEventsAsync(s, d, deviceType, k, ct);
                pumps.Add(PumpAsync(sub, e => (Cells(e), ToJson(e)), lines.Writer, deadline.Token));
            }
            if (deviceType is null && d is null && k is null)
            {
                var sub = await (await ctx.ClientAsync(ct)).SubscribeStationEventsAsync(s, stationType, ct);
                pumps.Add(PumpAsync(sub, e => (Cells(e), ToJson(e)), lines.Writer, deadline.Token));
            }
            if (!ctx.Output.Json) Output.Message($"listening for events{(ctx.Parse.GetValue(bounds.Seconds) is { } sec ? $" for {sec} s" : "")} (Ctrl+C stops)");
            var limit = ctx.Parse.GetValue(bounds.Count) ?? int.MaxValue;
            var seen = 0;
            try
            {
                while (seen < limit)
                {
                    var (cells, obj) = await lines.Reader.ReadAsync(deadline.Token);
                    ctx.Output.Row(cells, obj);
                    seen++;
                }
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested) { } // --seconds passed: a normal end
            await deadline.CancelAsync();
            await Task.WhenAll(pumps);
            return ExitCodes.Ok;
        });
        root.Subcommands.Add(command);
    }

    private static async Task PumpAsync<T>(EventSubscription<T> subscription, Func<T, (IReadOnlyList<string?>, JsonObject)> map,
        ChannelWriter<(IReadOnlyList<string?>, JsonObject)> lines, CancellationToken cancellationToken)
    {
        await using (subscription)
        {
            try
            {
                await foreach (var e in subscription.WithCancellation(cancellationToken)) lines.TryWrite(map(e));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { } // the command ended
        }
    }

    private static IReadOnlyList<string?> Cells(DeviceEvent e) =>
        [Output.Time(e.Timestamp), $"{e.Station}/{e.Device}", WireName<DeviceEventType>.Of(e.Type), e.Key, ValueText(e.Value) ?? e.Data?.ToJsonString()];

    private static IReadOnlyList<string?> Cells(StationEvent e) =>
        [Output.Time(e.Timestamp), e.Station, WireName<StationEventType>.Of(e.Type), e.Device, e.Data?.ToJsonString()];

    /// <summary>A device event as a json line.</summary>
    public static JsonObject ToJson(DeviceEvent e) => new()
    {
        ["kind"] = "device", ["type"] = WireName<DeviceEventType>.Of(e.Type), ["station"] = e.Station, ["device"] = e.Device, ["key"] = e.Key,
        ["value"] = e.Value is null ? null : ValueCodec.ToHex(e.Value), ["text"] = e.Value is null ? null : Output.TextOf(e.Value),
        ["timestamp"] = Output.Time(e.Timestamp), ["data"] = e.Data?.DeepClone(),
    };

    private static JsonObject ToJson(StationEvent e) => new()
    {
        ["kind"] = "station", ["type"] = WireName<StationEventType>.Of(e.Type), ["station"] = e.Station, ["device"] = e.Device,
        ["timestamp"] = Output.Time(e.Timestamp), ["data"] = e.Data?.DeepClone(),
    };

    /// <summary>Bytes as text when printable, else 0x and hex.</summary>
    public static string? ValueText(byte[]? value) => value is null ? null : Output.TextOf(value) ?? $"0x{ValueCodec.ToHex(value)}";
}
