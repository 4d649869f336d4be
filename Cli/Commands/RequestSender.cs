using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using Spectre.Console;

namespace MqttIoT.Cli.Commands;

/// <summary>
/// Sends a device request to one device, or with <c>--where FILTER</c> to every device the hub's filter matches
/// (<see cref="IoTHubClient.BulkRequestAsync"/>) with a progress bar on a terminal and a summary. Each device's result is
/// one row: <c>station device ok|CODE detail</c>, or as json <c>{"station","device","status","data"|"error"}</c>.
/// </summary>
public sealed class RequestSender
{
    /// <summary>--where: the hub filter of a bulk request.</summary>
    public Option<string?> Where { get; } = new("--where") { Description = "Send to every device matching this hub filter (JSON), instead of one device" };
    /// <summary>--concurrency: bulk requests in flight.</summary>
    public Option<int> Concurrency { get; } = new("--concurrency") { Description = "With --where: requests in flight at once (1-1000)", DefaultValueFactory = _ => 16 };

    public RequestSender() =>
        Concurrency.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 1 or > 1000) r.AddError("--concurrency must be 1 to 1000"); });

    /// <summary>Adds --where and --concurrency.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Where);
        command.Options.Add(Concurrency);
    }

    /// <summary>
    /// Takes DEVICE and KEY as given; with --where a command that wants a key gets it from the first argument (there is no
    /// device then). Returns the device text (null with --where) and the key.
    /// </summary>
    public (string? Device, string? Key) Targets(ParseResult parse, Argument<string?> device, Argument<string?>? key)
    {
        var (d, k) = (parse.GetValue(device), key is null ? null : parse.GetValue(key));
        var bulk = parse.GetValue(Where) is not null;
        if (bulk)
        {
            if (key is not null && k is null) (d, k) = (null, d);
            if (d is not null) throw new UsageException("give either a DEVICE or --where, not both");
        }
        else if (d is null) throw new UsageException("a DEVICE (station/device or a device id) or --where FILTER is needed");
        if (key is not null && k is null) throw new UsageException("a KEY is needed");
        return (d, k);
    }

    /// <summary>Sends the request and writes the result(s); the exit code.</summary>
    public async Task<int> SendAsync(CommandContext ctx, string? deviceText, DeviceRequestType type, RequestBody? body, CancellationToken cancellationToken)
    {
        if (ctx.Parse.GetValue(Where) is { } where)
            return await BulkAsync(ctx, HubCommands.ParseFilter(where), type, body, cancellationToken);
        var device = await DeviceTarget.ResolveAsync(await ctx.ClientAsync(cancellationToken), deviceText!, ctx.Timeout, cancellationToken);
        var data = await (await ctx.ClientAsync(cancellationToken)).DeviceRequestAsync(device.Station, device.Id, type, body, ctx.Timeout, cancellationToken);
        var result = new BulkResult(device.Station, device.Id, null, null, data);
        if (ctx.Output.Json) ctx.Output.Row([], ToJson(result));
        else if (ctx.Output.Interactive) AnsiConsole.MarkupLine($"[green]ok[/] {Markup.Escape($"{device.Station}/{device.Id}")} {Markup.Escape(Describe(type, data))}");
        else ctx.Output.Row(Cells(type, result), ToJson(result));
        return ExitCodes.Ok;
    }

    private async Task<int> BulkAsync(CommandContext ctx, HubFilter? filter, DeviceRequestType type, RequestBody? body, CancellationToken cancellationToken)
    {
        var summary = new BulkSummary();
        var failures = new List<BulkResult>();
        var results = (await ctx.ClientAsync(cancellationToken)).BulkRequestAsync(filter, type, body, ctx.Parse.GetValue(Concurrency), ctx.Timeout, cancellationToken);
        if (ctx.Output.Interactive)
        {
            await AnsiConsole.Progress().AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask($"{WireName<DeviceRequestType>.Of(type)}: 0 devices");
                    task.IsIndeterminate = true;
                    await foreach (var result in results)
                    {
                        summary.Add(result);
                        if (!result.Ok) failures.Add(result);
                        task.Description = $"{WireName<DeviceRequestType>.Of(type)}: {summary.Total} devices, {summary.Failed} failed";
                    }
                    task.IsIndeterminate = false;
                    task.Value = task.MaxValue;
                });
            if (failures.Count > 0)
                ctx.Output.Rows(["station", "device", "error", "message"], failures.Select(f => ((IReadOnlyList<string?>)[f.Station, f.Device, WireName<ErrorCode>.Of(f.Error!.Value), f.Message], (JsonNode)ToJson(f))));
            AnsiConsole.MarkupLine(Markup.Escape(summary.ToString()));
        }
        else
        {
            await foreach (var result in results)
            {
                summary.Add(result);
                ctx.Output.Row(Cells(type, result), ToJson(result));
            }
            ctx.Output.Row(["summary", summary.ToString()], SummaryJson(summary));
        }
        return summary.Failed == 0 ? ExitCodes.Ok : ExitCodes.PartialFailure;
    }

    private static IReadOnlyList<string?> Cells(DeviceRequestType type, BulkResult r) =>
        [r.Station, r.Device, r.Error is { } code ? WireName<ErrorCode>.Of(code) : "ok", r.Ok ? Describe(type, r.Data) : r.Message];

    /// <summary>One device's result as a json line.</summary>
    public static JsonObject ToJson(BulkResult r)
    {
        var obj = new JsonObject { ["station"] = r.Station, ["device"] = r.Device, ["status"] = r.Ok ? "ok" : "error" };
        if (r.Error is { } code) obj["error"] = new JsonObject { ["code"] = WireName<ErrorCode>.Of(code), ["message"] = r.Message };
        else if (r.Data.ValueKind != JsonValueKind.Undefined) obj["data"] = JsonNode.Parse(r.Data.GetRawText());
        return obj;
    }

    private static JsonObject SummaryJson(BulkSummary s)
    {
        var failures = new JsonObject();
        foreach (var (code, count) in s.Failures.OrderBy(f => f.Key)) failures[WireName<ErrorCode>.Of(code)] = count;
        return new JsonObject { ["summary"] = new JsonObject { ["total"] = s.Total, ["ok"] = s.Succeeded, ["failed"] = s.Failed, ["failures"] = failures } };
    }

    /// <summary>A reply's data in a few words for a person.</summary>
    public static string Describe(DeviceRequestType type, JsonElement data)
    {
        if (data.ValueKind == JsonValueKind.Undefined || data.ValueKind == JsonValueKind.Null) return "";
        try
        {
            switch (type)
            {
                case DeviceRequestType.ReadValue when data.Deserialize(ContractJson.Default.ValueReply) is { } v:
                    var text = v.Text ?? (ValueCodec.TryFromHex(v.Value, out var bytes) ? Output.TextOf(bytes) : null);
                    return text is null ? $"{v.Key} = 0x{v.Value}" : $"{v.Key} = {text}";
                case DeviceRequestType.WriteValue when data.Deserialize(ContractJson.Default.WriteReply) is { } w:
                    return $"{w.Key}: wrote {w.Written} bytes";
                case DeviceRequestType.SetTime or DeviceRequestType.SyncTime when data.Deserialize(ContractJson.Default.TimeReply) is { } t:
                    return $"device time {Output.Time(t.DeviceTime)}, offset {t.OffsetMs:0.###} ms";
            }
        }
        catch (JsonException) { } // not the usual shape: show it raw below
        return data.GetRawText();
    }
}
