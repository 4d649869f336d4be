using System.Collections.Concurrent;
using System.Diagnostics;
using MqttIoT.OpcUa.Binary;
using MqttIoT.OpcUa.Services;
using MqttIoT.OpcUa.Testing;
using MqttIoT.OpcUa.Tests.Infrastructure;

namespace MqttIoT.OpcUa.Tests;

/// <summary>Subscriptions, monitored items and the publish loop against node-opcua; and a server that goes away.</summary>
public class SubscriptionTests(OpcUaServerFixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<OpcUaServerFixture>
{
    private static readonly NodeId Temperature = NodeId.Parse("ns=1;s=Boiler2.Temperature");
    private static readonly NodeId Label = NodeId.Parse("ns=1;s=Boiler2.Label");

    private static CancellationToken Deadline(int seconds = 15) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    [Fact]
    public async Task Data_changes_arrive_with_timestamps_and_two_publish_requests_stay_outstanding()
    {
        await using var session = await OpcUaSession.ConnectAsync(new OpcUaClientOptions { EndpointUrl = fixture.EndpointUrl }, cancellationToken: Deadline());
        var subscription = await session.CreateSubscriptionAsync(new SubscriptionOptions { PublishingInterval = TimeSpan.FromMilliseconds(50) }, Deadline());
        var changes = new ConcurrentQueue<DataChange>();
        subscription.DataChanged += changes.Enqueue;
        var items = await subscription.CreateMonitoredItemsAsync(
            [new MonitoredItemOptions(new ReadValueId(Temperature)), new MonitoredItemOptions(new ReadValueId(NodeId.Parse("ns=1;s=Nope")))], Deadline());
        items[0].StatusCode.IsGood.Should().BeTrue();
        items[1].StatusCode.Code.Should().Be(StatusCodes.BadNodeIdUnknown, "a monitored item for an unknown node is refused on its own");

        await Wait.UntilAsync(() => changes.Count >= 3, "three temperature changes");
        changes.Should().OnlyContain(c => c.Item.ClientHandle == items[0].ClientHandle && c.Value.Value.Type == BuiltInType.Double
            && c.Value.SourceTimestamp != null && c.Value.StatusCode.IsGood);
        await Wait.UntilAsync(() => session.OutstandingPublishRequests == 2, "two outstanding publish requests");

        await subscription.DeleteMonitoredItemsAsync([items[0]], Deadline());
        await subscription.DeleteAsync(Deadline());
        // The server answers the outstanding publishes with BadNoSubscription, and the loop stops there.
        await Wait.UntilAsync(() => session.OutstandingPublishRequests == 0, "no publish requests without subscriptions");
    }

    [Fact]
    public async Task A_subscription_made_while_the_last_one_is_deleted_still_gets_its_data_changes()
    {
        await using var session = await OpcUaSession.ConnectAsync(new OpcUaClientOptions { EndpointUrl = fixture.EndpointUrl }, cancellationToken: Deadline());
        var first = await session.CreateSubscriptionAsync(new SubscriptionOptions { PublishingInterval = TimeSpan.FromMilliseconds(50) }, Deadline());
        await Wait.UntilAsync(() => session.OutstandingPublishRequests == 2, "two outstanding publish requests");

        // The server answers the outstanding publishes with BadNoSubscription while the next subscription is on its way.
        var deleting = first.DeleteAsync(Deadline());
        var second = await session.CreateSubscriptionAsync(new SubscriptionOptions { PublishingInterval = TimeSpan.FromMilliseconds(50) }, Deadline());
        await deleting;
        var changes = 0;
        second.DataChanged += _ => Interlocked.Increment(ref changes);
        await second.CreateMonitoredItemsAsync([new MonitoredItemOptions(new ReadValueId(Temperature))], Deadline());
        await Wait.UntilAsync(() => Volatile.Read(ref changes) >= 3, "data changes on the second subscription");
        second.IsDeleted.Should().BeFalse();
        session.OutstandingPublishRequests.Should().BeGreaterThanOrEqualTo(1);
    }

    [Fact]
    public async Task A_quiet_subscription_gets_keep_alives()
    {
        await using var session = await OpcUaSession.ConnectAsync(new OpcUaClientOptions { EndpointUrl = fixture.EndpointUrl }, cancellationToken: Deadline());
        var subscription = await session.CreateSubscriptionAsync(
            new SubscriptionOptions { PublishingInterval = TimeSpan.FromMilliseconds(50), MaxKeepAliveCount = 2 }, Deadline());
        var changes = 0;
        subscription.DataChanged += _ => Interlocked.Increment(ref changes);
        await subscription.CreateMonitoredItemsAsync([new MonitoredItemOptions(new ReadValueId(Label))], Deadline());
        await Wait.UntilAsync(() => subscription.KeepAlives >= 3, "three keep-alives");
        changes.Should().Be(1, "an unchanging value is reported once, then only keep-alives come");
    }

    [Fact]
    public async Task Asking_for_more_publish_requests_than_the_server_queues_settles_on_what_it_takes()
    {
        await using var session = await OpcUaSession.ConnectAsync(
            new OpcUaClientOptions { EndpointUrl = fixture.EndpointUrl, PublishRequestCount = 200 }, cancellationToken: Deadline());
        var subscription = await session.CreateSubscriptionAsync(new SubscriptionOptions { PublishingInterval = TimeSpan.FromMilliseconds(50) }, Deadline());
        var changes = 0;
        subscription.DataChanged += _ => Interlocked.Increment(ref changes);
        await subscription.CreateMonitoredItemsAsync([new MonitoredItemOptions(new ReadValueId(Temperature))], Deadline());
        await Wait.UntilAsync(() => Volatile.Read(ref changes) >= 5, "data changes while publish requests are refused");
        session.PublishRequestTarget.Should().BeInRange(1, 199, "BadTooManyPublishRequests lowers the number kept outstanding");
        session.OutstandingPublishRequests.Should().BeLessThanOrEqualTo(session.PublishRequestTarget);
    }

    [Fact]
    public async Task A_server_that_dies_raises_ConnectionLost_once_and_a_new_session_works_after_it_returns()
    {
        await using var server = await OpcUaTestServer.StartAsync();
        var session = await OpcUaSession.ConnectAsync(new OpcUaClientOptions { EndpointUrl = server.EndpointUrl }, cancellationToken: Deadline());
        var lost = new TaskCompletionSource<OpcUaException>(TaskCreationOptions.RunContinuationsAsynchronously);
        var count = 0;
        session.ConnectionLost += ex => { Interlocked.Increment(ref count); lost.TrySetResult(ex); };
        await session.CreateSubscriptionAsync(new SubscriptionOptions(), Deadline());

        var watch = Stopwatch.StartNew();
        await server.StopAsync();
        output.WriteLine($"server killed after {watch.ElapsedMilliseconds} ms");
        var reason = await lost.Task.WaitAsync(TimeSpan.FromSeconds(15));
        output.WriteLine($"connection loss seen after {watch.ElapsedMilliseconds} ms: {reason.Message}");
        reason.Status.IsBad.Should().BeTrue();
        session.IsConnected.Should().BeFalse();
        var act = () => session.ReadValueAsync(WellKnownNodes.ServerCurrentTime, Deadline());
        (await act.Should().ThrowAsync<OpcUaException>()).Which.Status.Code.Should().Be(StatusCodes.BadServerNotConnected);
        await session.DisposeAsync();
        count.Should().Be(1);
        output.WriteLine($"disposed after {watch.ElapsedMilliseconds} ms");

        await server.RestartAsync();
        output.WriteLine($"server back after {watch.ElapsedMilliseconds} ms");
        await using var again = await OpcUaSession.ConnectAsync(new OpcUaClientOptions { EndpointUrl = server.EndpointUrl }, cancellationToken: Deadline());
        (await again.ReadValueAsync(WellKnownNodes.ServerCurrentTime, Deadline())).StatusCode.IsGood.Should().BeTrue();
    }
}
