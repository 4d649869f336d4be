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

    /// <summary>Hub options from the parsed command line.</summary>
    public HubOptions HubOptions(ParseResult parse)
    {
        var data = parse.GetValue(Data)!;
        var mqtt = Broker.SessionOptions(parse);
        // A persistent session needs the same client id at every start: each replica has its own index folder, so the
        // folder names the replica.
        if (mqtt.SessionExpiry > TimeSpan.Zero && mqtt.ClientId.Length == 0) mqtt.ClientId = ReplicaClientId(data);
        return new()
        {
            Root = parse.GetValue(Root)!,
            Mqtt = mqtt,
            DataDirectory = data,
            MaxBatch = parse.GetValue(Batch),
            BatchWindow = TimeSpan.FromMilliseconds(parse.GetValue(BatchMs)),
        };
    }

    /// <summary>"hub-" and 12 hex digits of the index folder's full path: stable across restarts, different per replica.</summary>
    public static string ReplicaClientId(string dataDirectory) =>
        "hub-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(dataDirectory))))[..12];
}
