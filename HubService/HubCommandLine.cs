using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using MqttIoT.Hosting;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Hub;

/// <summary>The hub's command-line options, shared by the hub host and the demo.</summary>
public sealed class HubCommandLine
{
    /// <summary>How the hub reaches the broker (host, port, user, keep-alive, session, TLS).</summary>
    public BrokerConnectionCommandLine Broker { get; } = new("the hub's is hub");
    /// <summary>Topic root.</summary>
    public Option<string> Root { get; } = new("--root") { Description = "Topic root", DefaultValueFactory = _ => TopicTree.DefaultRoot };
    /// <summary>Index folder.</summary>
    public Option<string> Data { get; } = new("--data") { Description = "Folder of the index file (hub.db); one per replica", DefaultValueFactory = _ => Path.Combine("data", "hub") };
    /// <summary>Batch size.</summary>
    public Option<int> Batch { get; } = new("--batch") { Description = "Most changed records per LiteDB transaction", DefaultValueFactory = _ => 5000 };
    /// <summary>Batch window.</summary>
    public Option<int> BatchMs { get; } = new("--batch-ms") { Description = "Longest a change waits before its transaction commits, in ms", DefaultValueFactory = _ => 200 };

    /// <summary>Adds the options to a command (the demo brings its own broker, root and data folder, so it skips those).</summary>
    public void AddTo(Command command, bool connection = true)
    {
        if (connection) Broker.AddTo(command);
        var options = connection ? new Option[] { Root, Data, Batch, BatchMs } : [Batch, BatchMs];
        foreach (var option in options) command.Options.Add(option);
    }

    /// <summary>The configuration keys the given flags set (Hosting/README.md): the hub under <c>Hub</c>, its broker connection under <c>Hub:Mqtt</c>.</summary>
    public IEnumerable<KeyValuePair<string, string?>> ConfigurationValues(ParseResult parse)
    {
        const string H = HubHost.Section;
        return Broker.MapTo(new CommandLineKeys(), $"{H}:Mqtt")
            .Map(Root, $"{H}:Root")
            .Map(Data, $"{H}:DataDirectory")
            .Map(Batch, $"{H}:MaxBatch")
            .Map(BatchMs, CommandLineKeys.Milliseconds, $"{H}:BatchWindow")
            .Values(parse);
    }

    /// <summary>"hub-" and 12 hex digits of the index folder's full path: stable across restarts, different per replica.</summary>
    public static string ReplicaClientId(string dataDirectory) =>
        "hub-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(dataDirectory))))[..12];
}
