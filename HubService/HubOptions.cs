using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using MqttIoT.Sdk.Contract;
using MqttIoT.Protocol;

namespace MqttIoT.Hub;

/// <summary>Options of the hub.</summary>
public sealed class HubOptions
{
    /// <summary>Broker connection. The client id defaults to <c>hub-</c> and a random suffix, so replicas never collide.</summary>
    [ValidateObjectMembers]
    public MqttSessionOptions Mqtt { get; set; } = new();
    /// <summary>Topic root.</summary>
    [Required]
    public string Root { get; set; } = TopicTree.DefaultRoot;
    /// <summary>Folder of the index file (<c>hub.db</c>, LiteDB). Each replica needs its own.</summary>
    [Required]
    public string DataDirectory { get; set; } = Path.Combine("data", "hub");
    /// <summary>Most changed records written in one LiteDB transaction.</summary>
    [Range(1, int.MaxValue)]
    public int MaxBatch { get; set; } = 5000;
    /// <summary>Longest a change waits in memory before its transaction is committed.</summary>
    public TimeSpan BatchWindow { get; set; } = TimeSpan.FromMilliseconds(200);
    /// <summary>LiteDB log size, in 8 KiB pages, at which it is folded into the data file; keeps the log bounded.</summary>
    [Range(1, int.MaxValue)]
    public int CheckpointPages { get; set; } = 2000;
    /// <summary>Messages waiting for the ingest loop before the hub stops reading from the broker (backpressure, nothing dropped).</summary>
    [Range(1, int.MaxValue)]
    public int MaxIngestQueue { get; set; } = 100_000;
    /// <summary>Queries answered at once.</summary>
    [Range(1, int.MaxValue)]
    public int QueryConcurrency { get; set; } = Math.Max(2, Environment.ProcessorCount);
    /// <summary>Queries accepted but not answered before the hub stops reading new ones.</summary>
    public int MaxPendingQueries { get; set; } = 4096;
    /// <summary>Largest query body accepted.</summary>
    [Range(1, int.MaxValue)]
    public int MaxQueryBytes { get; set; } = 64 * 1024;
    /// <summary>Deadline of a query that carries no MessageExpiryInterval.</summary>
    public TimeSpan DefaultQueryTimeout { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Longest the hub waits at start for the broker's retained state before it answers queries anyway.</summary>
    public TimeSpan CatchUpTimeout { get; set; } = TimeSpan.FromSeconds(60);
    /// <summary>LIST_* page size when the query gives no <c>limit</c>.</summary>
    public int DefaultListLimit { get; set; } = 1000;
    /// <summary>Largest LIST_* <c>limit</c>.</summary>
    public int MaxListLimit { get; set; } = 10_000;
    /// <summary>FIND_* page size when the query gives no <c>limit</c>.</summary>
    public int DefaultFindLimit { get; set; } = 100;
    /// <summary>Largest FIND_* <c>limit</c>.</summary>
    public int MaxFindLimit { get; set; } = 1000;

    /// <summary>The LiteDB file.</summary>
    public string DatabasePath => Path.GetFullPath(Path.Combine(DataDirectory, "hub.db"));

    /// <summary>Throws when the options cannot work.</summary>
    public void Validate()
    {
        Mqtt.Validate();
        if (string.IsNullOrWhiteSpace(DataDirectory)) throw new ArgumentException("DataDirectory is required");
        if (MaxBatch <= 0 || BatchWindow <= TimeSpan.Zero) throw new ArgumentException("MaxBatch and BatchWindow must be positive");
        if (CheckpointPages <= 0 || MaxIngestQueue <= 0) throw new ArgumentException("CheckpointPages and MaxIngestQueue must be positive");
        if (QueryConcurrency <= 0 || MaxPendingQueries < QueryConcurrency) throw new ArgumentException("need 0 < QueryConcurrency <= MaxPendingQueries");
        if (MaxQueryBytes <= 0 || DefaultQueryTimeout <= TimeSpan.Zero || CatchUpTimeout <= TimeSpan.Zero)
            throw new ArgumentException("MaxQueryBytes, DefaultQueryTimeout and CatchUpTimeout must be positive");
        if (DefaultListLimit is <= 0 || MaxListLimit < DefaultListLimit || DefaultFindLimit <= 0 || MaxFindLimit < DefaultFindLimit)
            throw new ArgumentException("need 0 < default <= max for the list and find limits");
    }
}
