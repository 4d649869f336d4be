namespace MqttIoT.Hub;

/// <summary>Counters of a running hub, for tests, logs and benchmarks.</summary>
/// <param name="Stations">Stations in the index.</param>
/// <param name="Devices">Devices in the index.</param>
/// <param name="Ingested">State messages applied since start.</param>
/// <param name="Transactions">LiteDB transactions committed since start.</param>
/// <param name="LargestTransaction">Most records written by one transaction.</param>
/// <param name="QueriesAnswered">Queries answered (ok or error) since start.</param>
public sealed record HubStats(int Stations, int Devices, long Ingested, long Transactions, int LargestTransaction, long QueriesAnswered);
