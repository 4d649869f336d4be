using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using MqttIoT.Dashboard.Live;

namespace MqttIoT.Dashboard.Api;

/// <summary>
/// The live stream of a page, as server-sent events: the events its filter wants, gathered for
/// <see cref="DashboardOptions.PushInterval"/> and sent as one batch of at most <see cref="DashboardOptions.MaxEventsPerPush"/>
/// (the newest; the rest counted as "skipped"), so a page gets a handful of messages a second however fast events come.
/// A comment line every 15 s keeps proxies and the browser from timing the stream out.
/// </summary>
internal static class EventStreamEndpoint
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    public static void Map(WebApplication app, DashboardOptions options, TimeProvider time)
    {
        app.MapGet("/api/events", async (HttpContext ctx) =>
        {
            var connection = FleetEndpoints.Session(ctx).Connection;
            var filter = EventFilter.Parse(name => ctx.Request.Query[name]);
            // A page may ask for smaller batches than the server's cap (the events log does: nobody reads 800 rows a second).
            var max = int.TryParse(ctx.Request.Query["max"], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var m)
                ? Math.Clamp(m, 1, options.MaxEventsPerPush) : options.MaxEventsPerPush;
            var response = ctx.Response;
            response.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-cache";
            response.Headers["X-Accel-Buffering"] = "no";
            var ct = ctx.RequestAborted;
            using var listener = connection.Events.Add(filter, options.StreamQueue);
            // The browser reconnects by itself after a second; the first message says how the broker connection is now.
            await WriteAsync(response, $"retry: 1000\ndata: {{\"kind\":\"hello\",\"broker\":{(connection.Client.IsConnected ? "true" : "false")}}}\n\n", ct);
            var reader = listener.Channel.Reader;
            var batch = new Queue<LiveEvent>(max);
            try
            {
                while (!ct.IsCancellationRequested)
                {
                    using (var heartbeat = CancellationTokenSource.CreateLinkedTokenSource(ct))
                    {
                        heartbeat.CancelAfter(Heartbeat);
                        bool more;
                        try { more = await reader.WaitToReadAsync(heartbeat.Token); }
                        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                        {
                            await WriteAsync(response, ": ping\n\n", ct);
                            continue;
                        }
                        if (!more) break;
                    }
                    await Task.Delay(options.PushInterval, time, ct);
                    long skipped = listener.TakeDropped();
                    while (reader.TryRead(out var e))
                    {
                        if (batch.Count == max)
                        {
                            batch.Dequeue();
                            skipped++;
                        }
                        batch.Enqueue(e);
                    }
                    await WriteBatchAsync(response, batch, skipped, ct);
                    batch.Clear();
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        });
    }

    private static async Task WriteBatchAsync(HttpResponse response, IEnumerable<LiveEvent> batch, long skipped, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        buffer.Write("data: {\"kind\":\"batch\",\"skipped\":"u8);
        buffer.Write(Encoding.ASCII.GetBytes(skipped.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        buffer.Write(",\"events\":["u8);
        var first = true;
        foreach (var e in batch)
        {
            if (!first) buffer.WriteByte((byte)',');
            first = false;
            buffer.Write(e.Json);
        }
        buffer.Write("]}\n\n"u8);
        await response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), ct);
        await response.Body.FlushAsync(ct);
    }

    private static async Task WriteAsync(HttpResponse response, string text, CancellationToken ct)
    {
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), ct);
        await response.Body.FlushAsync(ct);
    }
}
