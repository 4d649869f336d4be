using System.CommandLine;
using System.Text.Json.Nodes;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using Spectre.Console;

namespace MqttIoT.Cli.Commands;

/// <summary>
/// <c>watch</c>: the values of one device, or of every device a filter matches, as a live table on a terminal (starting
/// from the hub's last notified values, then each event as it comes); piped or as json, one line per change.
/// </summary>
public static class WatchCommand
{
    private sealed record Cell(string Station, string Device, string Key, string? Value, DateTimeOffset At, string Event);

    /// <summary>Adds <c>watch</c> to the root.</summary>
    public static void AddTo(RootCommand root, CommandRunner runner)
    {
        var device = new Argument<string?>("DEVICE") { Description = "station/device or a device id; leave out with --where", Arity = ArgumentArity.ZeroOrOne };
        var where = new Option<string?>("--where") { Description = "Watch every device matching this hub filter (JSON)" };
        var bounds = new Bounds();
        var command = new Command("watch", "A live table of a device's (or a filter's) values and events") { device, where };
        bounds.AddTo(command);
        runner.Bind(command, async (ctx, ct) =>
        {
            var (text, filterText) = (ctx.Parse.GetValue(device), ctx.Parse.GetValue(where));
            if ((text is null) == (filterText is null)) throw new UsageException("give a DEVICE or --where FILTER (one of them)");
            var filter = HubCommands.ParseFilter(filterText);
            var records = new List<DeviceRecord>();
            if (text is not null)
            {
                var remote = await DeviceTarget.ResolveAsync(await ctx.ClientAsync(ct), text, ctx.Timeout, ct);
                records.Add(await remote.GetHubRecordAsync(ctx.Timeout, ct));
            }
            else
            {
                await foreach (var r in (await ctx.ClientAsync(ct)).FindAllDevicesAsync(filter, timeout: ctx.Timeout, cancellationToken: ct))
                    records.Add(r);
            }
            var watched = records.Where(r => r.Station is not null).Select(r => (r.Station!, r.Id)).ToHashSet();
            var single = text is not null ? records[0] : null;
            await using var events = await (await ctx.ClientAsync(ct)).SubscribeDeviceEventsAsync(single?.Station, single?.Id, cancellationToken: ct);
            var cells = new SortedDictionary<(string, string, string), Cell>();
            foreach (var r in records)
                foreach (var (key, value) in r.Notified)
                    cells[(r.Station!, r.Id, key)] = new Cell(r.Station!, r.Id, key, value.Text ?? $"0x{value.Value}", value.At, "last notified");
            using var deadline = bounds.Deadline(ctx.Parse, ct);
            var limit = ctx.Parse.GetValue(bounds.Count) ?? int.MaxValue;

            if (ctx.Output.Interactive)
            {
                await AnsiConsole.Live(Render(cells.Values, watched.Count)).StartAsync(async live =>
                {
                    await foreach (var cell in ReadAsync(events, watched, limit, deadline.Token, ct))
                    {
                        cells[(cell.Station, cell.Device, cell.Key)] = cell;
                        live.UpdateTarget(Render(cells.Values, watched.Count));
                    }
                });
                return ExitCodes.Ok;
            }
            foreach (var cell in cells.Values) ctx.Output.Row(Cells(cell), ToJson(cell));
            await foreach (var cell in ReadAsync(events, watched, limit, deadline.Token, ct)) ctx.Output.Row(Cells(cell), ToJson(cell));
            return ExitCodes.Ok;
        });
        root.Subcommands.Add(command);
    }

    private static async IAsyncEnumerable<Cell> ReadAsync(EventSubscription<DeviceEvent> events, HashSet<(string, string)> watched, int limit,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken deadline, CancellationToken interrupt)
    {
        var seen = 0;
        while (seen < limit)
        {
            DeviceEvent e;
            try { e = await events.ReadAsync(deadline); }
            catch (OperationCanceledException) when (!interrupt.IsCancellationRequested) { yield break; } // --seconds passed: a normal end
            if (!watched.Contains((e.Station, e.Device))) continue;
            seen++;
            yield return new Cell(e.Station, e.Device, e.Key ?? "-", EventsCommand.ValueText(e.Value) ?? e.Data?.ToJsonString(), e.Timestamp, WireName<DeviceEventType>.Of(e.Type));
        }
    }

    private static Table Render(IEnumerable<Cell> cells, int devices)
    {
        var table = new Table().Border(TableBorder.Rounded).Caption($"{devices} devices; Ctrl+C stops");
        foreach (var column in new[] { "station", "device", "key", "value", "at", "event" }) table.AddColumn(column);
        foreach (var c in cells) table.AddRow([.. Cells(c).Select(s => Markup.Escape(s ?? ""))]);
        return table;
    }

    private static IReadOnlyList<string?> Cells(Cell c) => [c.Station, c.Device, c.Key, c.Value, Output.Time(c.At), c.Event];

    private static JsonObject ToJson(Cell c) => new()
    {
        ["station"] = c.Station, ["device"] = c.Device, ["key"] = c.Key, ["value"] = c.Value, ["at"] = Output.Time(c.At), ["event"] = c.Event,
    };
}
