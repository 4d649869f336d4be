using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using MqttIoT.Dashboard.Auth;
using MqttIoT.Dashboard.History;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Dashboard.Api;

/// <summary>
/// The fleet through the Sdk: the hub's queries for stations and devices, every station and device request, and a
/// key's history. Each endpoint runs on the caller's session's Sdk client (<see cref="Session"/>).
/// </summary>
internal static class FleetEndpoints
{
    /// <summary>The session of a request, put there by the access check in DashboardServer.</summary>
    public static DashboardSession Session(HttpContext ctx) => (DashboardSession)ctx.Items[typeof(DashboardSession)]!;

    private static IoTHubClient Client(HttpContext ctx) => Session(ctx).Connection.Client;

    public static void Map(WebApplication app, IHistorySource history, TimeProvider time)
    {
        app.MapGet("/api/stations", (HttpContext ctx, CancellationToken requestAborted) => Run(async ct =>
            ApiReply.Ok(await Client(ctx).HubQueryAsync(HubQueryType.FindStations, new HubQueryBody { Sort = "id", Limit = 1000 }, null, ct)),
            ctx.RequestAborted));

        app.MapGet("/api/stations/{station}", (HttpContext ctx, string station) => Run(async ct =>
        {
            var client = Client(ctx);
            var remote = client.GetStation(station);
            var record = await client.HubQueryAsync(HubQueryType.GetStation, new HubQueryBody { Station = station }, null, ct);
            // The station's own lists: it may be stopped or away while the hub still has its record, so each part fails alone.
            var discovered = Try(() => remote.GetKnownDevicesAsync(cancellationToken: ct));
            var connected = Try(() => remote.ListConnectedDevicesAsync(cancellationToken: ct));
            await Task.WhenAll(discovered, connected);
            return ApiReply.Ok(w =>
            {
                w.WriteStartObject();
                w.WritePropertyName("record");
                record.WriteTo(w);
                if (discovered.Result.Error is { } de) ApiReply.WriteError(w, "discoveredError", de);
                else
                {
                    w.WriteStartArray("discovered");
                    foreach (var (id, props) in discovered.Result.Value!.OrderBy(p => p.Key, StringComparer.Ordinal))
                    {
                        w.WriteStartObject();
                        w.WriteString("id", id);
                        if (props.Name is not null) w.WriteString("name", props.Name);
                        w.WriteBoolean("connected", props.Connected);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                }
                if (connected.Result.Error is { } ce) ApiReply.WriteError(w, "connectedError", ce);
                else
                {
                    w.WriteStartArray("connected");
                    foreach (var id in connected.Result.Value!) w.WriteStringValue(id);
                    w.WriteEndArray();
                }
                w.WriteEndObject();
            });
        }, ctx.RequestAborted));

        app.MapPost("/api/stations/{station}/requests/{type}", (HttpContext ctx, string station, string type) => Run(async ct =>
        {
            if (!WireName<StationRequestType>.TryParse(type, out var request))
                return ApiReply.Error(ErrorCode.BadRequest, $"'{type}' is not a station request; there are {string.Join(", ", WireName<StationRequestType>.All)}");
            var body = await RequestJson.ReadAsync(ctx.Request, ct);
            var data = await Client(ctx).StationRequestAsync(station, request, new RequestBody { Device = body.GetValueOrDefault("device") }, null, ct);
            return ApiReply.Ok(data);
        }, ctx.RequestAborted));

        app.MapGet("/api/devices", (HttpContext ctx, CancellationToken requestAborted) => Run(async ct =>
        {
            var q = ctx.Request.Query;
            int? limit = int.TryParse(q["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? l : null;
            var body = new HubQueryBody
            {
                Filter = DeviceQuery.Filter(q["search"]), Sort = NullIfEmpty(q["sort"]), Limit = limit, After = NullIfEmpty(q["after"]),
            };
            return ApiReply.Ok(await Client(ctx).HubQueryAsync(HubQueryType.FindDevices, body, null, ct));
        }, ctx.RequestAborted));

        app.MapGet("/api/devices/{station}/{device}", (HttpContext ctx, string station, string device) => Run(async ct =>
            ApiReply.Ok(await Client(ctx).HubQueryAsync(HubQueryType.GetDevice, new HubQueryBody { Station = station, Device = device }, null, ct)),
            ctx.RequestAborted));

        app.MapPost("/api/devices/{station}/{device}/requests/{type}", (HttpContext ctx, string station, string device, string type) => Run(async ct =>
        {
            if (!WireName<DeviceRequestType>.TryParse(type, out var request))
                return ApiReply.Error(ErrorCode.BadRequest, $"'{type}' is not a device request; there are {string.Join(", ", WireName<DeviceRequestType>.All)}");
            var body = await RequestJson.ReadAsync(ctx.Request, ct);
            var value = body.GetValueOrDefault("value");
            if (value is not null && !ValueCodec.TryFromHex(value, out _))
                return ApiReply.Error(ErrorCode.BadRequest, $"'{value}' is not hex: give pairs of 0-9a-f digits, e.g. 0a0b");
            var requestBody = new RequestBody { Key = NullIfEmpty(body.GetValueOrDefault("key")), Value = value, Text = body.GetValueOrDefault("text") };
            return ApiReply.Ok(await Client(ctx).DeviceRequestAsync(station, device, request, requestBody, null, ct));
        }, ctx.RequestAborted));

        app.MapGet("/api/devices/{station}/{device}/history/{key}", (HttpContext ctx, string station, string device, string key) => Run(async ct =>
        {
            var now = time.GetUtcNow();
            var from = ParseTime(ctx.Request.Query["from"]) ?? now.AddHours(-1);
            var to = ParseTime(ctx.Request.Query["to"]) ?? now;
            var answer = await history.GetAsync(Client(ctx), station, device, key, from, to, ct);
            return ApiReply.Ok(w =>
            {
                w.WriteStartObject();
                w.WriteBoolean("available", answer.Available);
                if (answer.Note is not null) w.WriteString("note", answer.Note);
                w.WriteStartArray("points");
                foreach (var p in answer.Points)
                {
                    w.WriteStartObject();
                    w.WriteString("at", p.At);
                    w.WriteString("value", p.Value);
                    if (p.Text is not null) w.WriteString("text", p.Text);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            });
        }, ctx.RequestAborted));
    }

    /// <summary>Runs an endpoint, turning the Sdk's errors and bad input into the error envelope.</summary>
    private static async Task<IResult> Run(Func<CancellationToken, Task<IResult>> endpoint, CancellationToken cancellationToken)
    {
        try { return await endpoint(cancellationToken); }
        catch (IoTException ex) { return ApiReply.Error(ex); }
        catch (FormatException ex) { return ApiReply.Error(ErrorCode.BadRequest, ex.Message); }
        catch (ArgumentException ex) { return ApiReply.Error(ErrorCode.BadRequest, ex.Message); }
    }

    private static async Task<(T? Value, IoTException? Error)> Try<T>(Func<Task<T>> call)
    {
        try { return (await call(), null); }
        catch (IoTException ex) { return (default, ex); }
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;

    private static DateTimeOffset? ParseTime(string? s) =>
        DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;
}
