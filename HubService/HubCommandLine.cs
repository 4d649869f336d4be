using System.CommandLine;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Hub;

/// <summary>The hub's command-line options, shared by the hub host and the demo.</summary>
public sealed class HubCommandLine
{
    /// <summary>Broker host.</summary>
    public Option<string> Host { get; } = new("--host") { Description = "Broker host", DefaultValueFactory = _ => "127.0.0.1" };
    /// <summary>Broker port.</summary>
    public Option<int> Port { get; } = new("--port") { Description = "Broker port", DefaultValueFactory = _ => 1883 };
    /// <summary>Topic root.</summary>
    public Option<string> Root { get; } = new("--root") { Description = "Topic root", DefaultValueFactory = _ => TopicTree.DefaultRoot };
    /// <summary>Index folder.</summary>
    public Option<string> Data { get; } = new("--data") { Description = "Folder of the index file (hub.db); one per replica", DefaultValueFactory = _ => Path.Combine("data", "hub") };
    /// <summary>Batch size.</summary>
    public Option<int> Batch { get; } = new("--batch") { Description = "Most changed records per LiteDB transaction", DefaultValueFactory = _ => 5000 };
    /// <summary>Batch window.</summary>
    public Option<int> BatchMs { get; } = new("--batch-ms") { Description = "Longest a change waits before its transaction commits, in ms", DefaultValueFactory = _ => 200 };

    /// <summary>Adds the options to a command (the demo adds its own host, port, root and data, so it skips those).</summary>
    public void AddTo(Command command, bool connection = true)
    {
        var options = connection ? new Option[] { Host, Port, Root, Data, Batch, BatchMs } : [Batch, BatchMs];
        foreach (var option in options) command.Options.Add(option);
    }

    /// <summary>Hub options from the parsed command line.</summary>
    public HubOptions HubOptions(ParseResult parse) => new()
    {
        Root = parse.GetValue(Root)!,
        Mqtt = new() { Host = parse.GetValue(Host)!, Port = parse.GetValue(Port) },
        DataDirectory = parse.GetValue(Data)!,
        MaxBatch = parse.GetValue(Batch),
        BatchWindow = TimeSpan.FromMilliseconds(parse.GetValue(BatchMs)),
    };
}
