using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Cli.Commands;

/// <summary>
/// <c>call TYPE</c>: any request or query of the contract by its wire name. Where it goes follows from what is named:
/// a device (--device, or --where for many) takes a device request; a station alone (--station) a station request or
/// query; nothing a hub query.
/// </summary>
public static class CallCommand
{
    /// <summary>Adds <c>call</c> to the root.</summary>
    public static void AddTo(RootCommand root, CommandRunner runner)
    {
        var type = new Argument<string>("TYPE") { Description = "Wire name: READ_VALUE, GET_PROPS, START_DISCOVERY, FIND_DEVICES... (topics.md)" };
        var station = new Option<string?>("--station") { Description = "The station (with --device: the device's station)" };
        var device = new Option<string?>("--device") { Description = "The device: station/device, or an id alone (located through the hub)" };
        var body = new Option<string?>("--body") { Description = "The request's JSON body, e.g. '{\"key\":\"temperature\"}'" };
        var sender = new RequestSender();
        var command = new Command("call", "Sends any request or query and prints the reply's data") { type, station, device, body };
        sender.AddTo(command);
        runner.Bind(command, async (ctx, ct) =>
        {
            var name = ctx.Parse.GetValue(type)!.ToUpperInvariant();
            var (s, d, json) = (ctx.Parse.GetValue(station), ctx.Parse.GetValue(device), ctx.Parse.GetValue(body));
            var bulk = ctx.Parse.GetValue(sender.Where) is not null;
            if (d is not null || bulk)
            {
                if (!WireName<DeviceRequestType>.TryParse(name, out var deviceType))
                    throw new UsageException($"'{name}' is not a device request (one of {string.Join(", ", WireName<DeviceRequestType>.All)})");
                if (d is not null && bulk) throw new UsageException("give either --device or --where, not both");
                var target = d is null ? null : s is not null && !d.Contains('/', StringComparison.Ordinal) ? $"{s}/{d}" : d;
                return await sender.SendAsync(ctx, target, deviceType, ParseBody(json, ContractJson.Default.RequestBody), ct);
            }
            JsonElement data;
            if (s is not null)
            {
                if (WireName<StationRequestType>.TryParse(name, out var requestType))
                    data = await (await ctx.ClientAsync(ct)).StationRequestAsync(s, requestType, ParseBody(json, ContractJson.Default.RequestBody), ctx.Timeout, ct);
                else if (WireName<StationQueryType>.TryParse(name, out var queryType))
                    data = await (await ctx.ClientAsync(ct)).StationQueryAsync(s, queryType, ParseBody(json, ContractJson.Default.RequestBody), ctx.Timeout, ct);
                else throw new UsageException($"'{name}' is not a station request or query (one of {string.Join(", ", WireName<StationRequestType>.All.Concat(WireName<StationQueryType>.All))})");
            }
            else if (WireName<HubQueryType>.TryParse(name, out var hubType))
                data = await (await ctx.ClientAsync(ct)).HubQueryAsync(hubType, ParseBody(json, ContractJson.Default.HubQueryBody), ctx.Timeout, ct);
            else throw new UsageException($"'{name}' is not a hub query (one of {string.Join(", ", WireName<HubQueryType>.All)}); a station's or a device's needs --station or --device");
            ctx.Output.Value(data.ValueKind == JsonValueKind.Undefined ? null : JsonNode.Parse(data.GetRawText()));
            return ExitCodes.Ok;
        });
        root.Subcommands.Add(command);
    }

    private static T? ParseBody<T>(string? json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info) where T : class
    {
        if (json is null) return null;
        try { return JsonSerializer.Deserialize(json, info) ?? throw new UsageException("--body is null; give a JSON object"); }
        catch (JsonException ex) { throw new UsageException($"--body is not a JSON object of the request's fields: {ex.Message}"); }
    }
}
