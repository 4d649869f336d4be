using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using MqttIoT.Sdk.Contract;
using MqttIoT.Protocol;

namespace MqttIoT.Gateway;

/// <summary>Options of a gateway.</summary>
public sealed class GatewayOptions
{
    /// <summary>Broker connection.</summary>
    [ValidateObjectMembers]
    public MqttSessionOptions Mqtt { get; set; } = new();
    /// <summary>Topic root.</summary>
    [Required]
    public string Root { get; set; } = TopicTree.DefaultRoot;
    /// <summary>Keep a broker session across short disconnects (5 minutes unless Mqtt.SessionExpiry says otherwise), so requests sent meanwhile are not lost.</summary>
    public bool PersistentSession { get; set; } = true;
    /// <summary>Start the station when the gateway starts.</summary>
    public bool AutoStart { get; set; } = true;
    /// <summary>Requests executing at once, over all devices.</summary>
    [Range(1, int.MaxValue)]
    public int MaxConcurrency { get; set; } = 64;
    /// <summary>Requests accepted but not finished before the gateway stops reading new ones.</summary>
    [Range(1, int.MaxValue)]
    public int MaxPending { get; set; } = 4096;
    /// <summary>Largest request body accepted.</summary>
    [Range(1, int.MaxValue)]
    public int MaxRequestBytes { get; set; } = 64 * 1024;
    /// <summary>Deadline of a request that carries no MessageExpiryInterval.</summary>
    public TimeSpan DefaultRequestTimeout { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>How long a reply is remembered to answer a redelivered request (same response topic and correlation) without executing it again.</summary>
    public TimeSpan DuplicateWindow { get; set; } = TimeSpan.FromMinutes(5);
    /// <summary>How many recent replies are remembered at most.</summary>
    public int MaxRememberedReplies { get; set; } = 20_000;
    /// <summary>Outgoing events queued (also while the broker is away) before notifications are dropped (state is never dropped).</summary>
    [Range(1, int.MaxValue)]
    public int MaxQueuedEvents { get; set; } = 100_000;
    /// <summary>File of the durable event outbox (seq and recent events survive a restart); null keeps them in memory only.</summary>
    public string? OutboxPath { get; set; }
    /// <summary>Events the outbox holds at most (GET_EVENTS reads back that far).</summary>
    [Range(1, int.MaxValue)]
    public int MaxOutboxEvents { get; set; } = 100_000;
    /// <summary>Bytes of events the outbox holds at most.</summary>
    [Range(1, long.MaxValue)]
    public long MaxOutboxBytes { get; set; } = 64L * 1024 * 1024;
    /// <summary>Age after which the outbox lets an event go.</summary>
    public TimeSpan OutboxMaxAge { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Throws when the options cannot work.</summary>
    public void Validate()
    {
        Mqtt.Validate();
        if (MaxConcurrency <= 0 || MaxPending < MaxConcurrency) throw new ArgumentException("need 0 < MaxConcurrency <= MaxPending");
        if (MaxRequestBytes <= 0) throw new ArgumentException("MaxRequestBytes must be positive");
        if (DefaultRequestTimeout <= TimeSpan.Zero) throw new ArgumentException("DefaultRequestTimeout must be positive");
        if (DuplicateWindow < TimeSpan.Zero || MaxRememberedReplies < 0) throw new ArgumentException("DuplicateWindow and MaxRememberedReplies cannot be negative");
        if (MaxQueuedEvents <= 0) throw new ArgumentException("MaxQueuedEvents must be positive");
        if (MaxOutboxEvents <= 0 || MaxOutboxBytes <= 0 || OutboxMaxAge <= TimeSpan.Zero) throw new ArgumentException("MaxOutboxEvents, MaxOutboxBytes and OutboxMaxAge must be positive");
    }
}
