namespace MqttIoT.Tests.Infrastructure;

/// <summary>
/// The EventIds of the product's log lines that tests look for, by name (each is the <c>EventId = N</c> of a
/// <c>[LoggerMessage]</c>; the ranges per area are in the developers' guide). Tests match a line on its EventId and
/// on the values of its template (<see cref="LogEntry.Value"/>), never on its wording.
/// </summary>
public static class LogEvents
{
    // Protocol/MqttSession.cs
    public const int SessionConnected = 1000;
    public const int SessionReconnectFailed = 1002;
    public const int SessionWaitingForBroker = 1003;

    // Protocol/Requests/RequestPipeline.cs: the gateway's requests and the hub's queries alike (its Kind value says which)
    public const int RequestFailed = 1010;
    public const int RequestFailedUnexpectedly = 1011;
    public const int RequestResponseTopicRefused = 1012;

    // HubService
    public const int HubIndexRebuiltOrdinal = 3000;
    public const int HubIndexBatchNotWritten = 3007;
    public const int HubIndexRecordNotWritten = 3008;
    public const int HubQueryFailed = RequestFailed;
    public const int HubQueryFailedInHub = RequestFailedUnexpectedly;

    // Broker/SessionStore.cs, Broker/EmbeddedBroker.cs
    public const int BrokerSessionsRestored = 4005;
    public const int SessionLogTornTail = 4011;
    public const int SessionLogUnreadable = 4012;
    public const int SessionExpiredWhileDown = 4013;
}
