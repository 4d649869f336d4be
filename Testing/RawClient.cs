using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;
using MqttIoT.Protocol;

namespace MqttIoT.Tests.Infrastructure;

/// <summary>
/// A bare MQTT v5 client, for what the Sdk hides: exact payloads, user properties, malformed requests,
/// retained topics.
/// </summary>
public sealed class RawClient : IAsyncDisposable
{
    private readonly MqttSession _session;
    private readonly Channel<ReceivedMessage> _received = Channel.CreateUnbounded<ReceivedMessage>();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<ReceivedMessage>> _replies = new();

    private RawClient(MqttSession session)
    {
        _session = session;
        // Under iot/v1/clients/ so that Mosquitto's ACL (auth/acl) lets responders write there and us read it.
        ReplyTopic = new Sdk.Contract.TopicTree().ClientReplies(session.ClientId);
        _session.MessageReceived = m =>
        {
            if (m.Topic == ReplyTopic && m.CorrelationData is { } c && _replies.TryRemove(Convert.ToHexString(c), out var tcs))
                tcs.TrySetResult(m);
            else _received.Writer.TryWrite(m);
            return ValueTask.CompletedTask;
        };
    }

    public string ReplyTopic { get; }

    /// <summary>Where the environment's log lines are, to explain a timeout.</summary>
    public CapturingLoggerProvider? Diagnostics { get; set; }

    public ChannelReader<ReceivedMessage> Received => _received.Reader;

    public static async Task<RawClient> ConnectAsync(int port, ILoggerFactory loggerFactory, string? user = null, string? password = null)
    {
        var session = new MqttSession(new MqttSessionOptions { Port = port, Username = user, Password = password }, loggerFactory.CreateLogger<RawClient>());
        var raw = new RawClient(session);
        await session.SubscribeAsync([raw.ReplyTopic], Deadline.Token());
        await session.StartAsync(Deadline.Token());
        return raw;
    }

    public Task SubscribeAsync(string filter) => _session.SubscribeAsync([filter], Deadline.Token());

    public Task<MqttClientPublishResult> PublishAsync(string topic, byte[] payload, bool retain = false, string? responseTopic = null,
        byte[]? correlation = null, uint expiry = 0) =>
        _session.PublishAsync(Build(topic, payload, retain, responseTopic, correlation, expiry), Deadline.Token());

    /// <summary>Sends a request with ResponseTopic and CorrelationData and waits for the reply.</summary>
    public async Task<ReceivedMessage> RequestAsync(string topic, byte[] payload, uint expiry = 10, TimeSpan? timeout = null, byte[]? correlation = null,
        IReadOnlyList<(string Name, string Value)>? userProperties = null)
    {
        correlation ??= Guid.NewGuid().ToByteArray();
        var tcs = new TaskCompletionSource<ReceivedMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _replies[Convert.ToHexString(correlation)] = tcs;
        var request = Build(topic, payload, false, ReplyTopic, correlation, expiry);
        foreach (var (name, value) in userProperties ?? [])
            request.UserProperties = [.. request.UserProperties ?? [], new MQTTnet.Packets.MqttUserProperty(name, System.Text.Encoding.UTF8.GetBytes(value))];
        await _session.PublishAsync(request, Deadline.Token());
        ReceivedMessage reply;
        try { reply = await tcs.Task.WaitAsync(timeout ?? Deadline.Default); }
        catch (TimeoutException) when (Diagnostics is { } logs)
        {
            throw new TimeoutException($"no reply to {topic} within {(timeout ?? Deadline.Default).TotalSeconds} s; log:\n{logs.Tail(40)}");
        }
        reply.CorrelationData.Should().Equal(correlation, "the reply echoes the request's correlation data");
        return reply;
    }

    /// <summary>Waits for the next message on a topic matching the predicate.</summary>
    public async Task<ReceivedMessage> NextAsync(Func<ReceivedMessage, bool> predicate, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Deadline.Default);
        while (true)
        {
            var m = await _received.Reader.ReadAsync(cts.Token);
            if (predicate(m)) return m;
        }
    }

    /// <summary>Waits until a message matching the predicate has arrived on each topic, whatever their order; the last one per topic wins.</summary>
    public async Task<Dictionary<string, ReceivedMessage>> LatestOnTopicsAsync(IReadOnlyCollection<string> topics, Func<ReceivedMessage, bool>? predicate = null,
        TimeSpan? timeout = null)
    {
        var seen = new Dictionary<string, ReceivedMessage>(StringComparer.Ordinal);
        using var cts = new CancellationTokenSource(timeout ?? Deadline.Default);
        try
        {
            while (!topics.All(seen.ContainsKey))
            {
                var m = await _received.Reader.ReadAsync(cts.Token);
                if (topics.Contains(m.Topic) && (predicate?.Invoke(m) ?? true)) seen[m.Topic] = m;
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"nothing on {string.Join(", ", topics.Where(t => !seen.ContainsKey(t)))} within {(timeout ?? Deadline.Default).TotalSeconds} s");
        }
        return seen;
    }

    public ValueTask DisposeAsync() => _session.DisposeAsync();

    private static MqttApplicationMessage Build(string topic, byte[] payload, bool retain, string? responseTopic, byte[]? correlation, uint expiry)
    {
        var b = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithRetainFlag(retain)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        if (responseTopic is not null) b.WithResponseTopic(responseTopic);
        if (correlation is not null) b.WithCorrelationData(correlation);
        if (expiry > 0) b.WithMessageExpiryInterval(expiry);
        return b.Build();
    }
}
