using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Cli.Commands;

/// <summary>What the hub knows: <c>stations</c>, <c>devices</c> and <c>get</c>.</summary>
public static class HubCommands
{
    /// <summary>Adds the hub's commands to the root.</summary>
    public static void AddTo(RootCommand root, CommandRunner runner)
    {
        root.Subcommands.Add(Stations(runner));
        root.Subcommands.Add(Devices(runner));
        root.Subcommands.Add(Get(runner));
    }

    private static Command Stations(CommandRunner runner)
    {
        var filter = new Option<string?>("--filter") { Description = "Hub filter as JSON, e.g. '{\"online\":true}' (topics.md, \"Filters\")" };
        var command = new Command("stations", "The stations the hub knows") { filter };
        runner.Bind(command, async (ctx, ct) =>
        {
            var hubFilter = ParseFilter(ctx.Parse.GetValue(filter));
            var rows = new List<(IReadOnlyList<string?>, JsonNode)>();
            await foreach (var s in (await ctx.ClientAsync(ct)).FindAllStationsAsync(hubFilter, timeout: ctx.Timeout, cancellationToken: ct))
                rows.Add(([s.Id, s.Online ? "online" : "offline", s.Stale ? "stale" : "", s.Devices.ToString(System.Globalization.CultureInfo.InvariantCulture), Output.Time(s.LastSeen)],
                    JsonSerializer.SerializeToNode(s, ContractJson.Default.StationRecord)!));
            ctx.Output.Rows(["station", "state", "stale", "devices", "last seen"], rows);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Devices(CommandRunner runner)
    {
        var filter = new Option<string?>("--filter") { Description = "Hub filter as JSON, e.g. '{\"attributes.model\":\"sim-thermostat\",\"online\":true}' (topics.md, \"Filters\")" };
        var station = new Option<string?>("--station") { Description = "Only the devices of this station" };
        var command = new Command("devices", "The devices the hub knows, narrowed by a filter") { filter, station };
        runner.Bind(command, async (ctx, ct) =>
        {
            var hubFilter = ParseFilter(ctx.Parse.GetValue(filter));
            if (ctx.Parse.GetValue(station) is { } s) hubFilter = (hubFilter ?? new HubFilter()).Eq("station", s);
            var rows = new List<(IReadOnlyList<string?>, JsonNode)>();
            await foreach (var d in (await ctx.ClientAsync(ct)).FindAllDevicesAsync(hubFilter, timeout: ctx.Timeout, cancellationToken: ct))
                rows.Add(([d.Station, d.Id, d.Online ? "online" : "offline", d.Props.Connected ? "connected" : "", d.Props.Name, Output.Time(d.LastSeen)],
                    JsonSerializer.SerializeToNode(d, ContractJson.Default.DeviceRecord)!));
            ctx.Output.Rows(["station", "device", "state", "link", "name", "last seen"], rows);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Get(CommandRunner runner)
    {
        var id = new Argument<string>("ID") { Description = "station/device, a device id (located through the hub), or with --station-record a station id" };
        var asStation = new Option<bool>("--station-record") { Description = "ID is a station: show the hub's record of the station" };
        var command = new Command("get", "The hub's record of a device (or of a station)") { id, asStation };
        runner.Bind(command, async (ctx, ct) =>
        {
            var text = ctx.Parse.GetValue(id)!;
            if (ctx.Parse.GetValue(asStation))
            {
                var station = await (await ctx.ClientAsync(ct)).GetStationAsync(text, ctx.Timeout, ct);
                ctx.Output.Value(JsonSerializer.SerializeToNode(station, ContractJson.Default.StationRecord));
                return ExitCodes.Ok;
            }
            var (stationId, device) = DeviceTarget.Split(text);
            var record = await (await ctx.ClientAsync(ct)).GetDeviceAsync(device, stationId, ctx.Timeout, ct);
            ctx.Output.Value(JsonSerializer.SerializeToNode(record, ContractJson.Default.DeviceRecord));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>A --filter or --where value; text that is not a JSON object is a usage error, a JSON object the hub rejects is its BAD_REQUEST.</summary>
    public static HubFilter? ParseFilter(string? json)
    {
        if (json is null) return null;
        try { return HubFilter.Parse(json); }
        catch (FormatException ex) { throw new UsageException($"bad filter '{json}': {ex.Message}"); }
    }
}
