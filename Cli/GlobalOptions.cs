using System.CommandLine;
using MqttIoT.Hosting;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Cli;

/// <summary>The flags every command takes: the hosts' broker connection flags, the topic root, deadlines and the output format.</summary>
public sealed class GlobalOptions
{
    /// <summary>The broker connection, with the same flags as the gateway and the hub.</summary>
    public BrokerConnectionCommandLine Broker { get; } = new("a client's, e.g. client");
    /// <summary>Topic root.</summary>
    public Option<string> Root { get; } = new("--root") { Description = "Topic root", DefaultValueFactory = _ => TopicTree.DefaultRoot, Recursive = true };
    /// <summary>Output format.</summary>
    public Option<string> Output { get; } = new("--output", "-o") { Description = "table (for people) or json (one object per line, for scripts)", DefaultValueFactory = _ => "table", Recursive = true };
    /// <summary>Deadline of each request.</summary>
    public Option<double> Timeout { get; } = new("--timeout") { Description = "Seconds each request may take", DefaultValueFactory = _ => 10, Recursive = true };
    /// <summary>Deadline of the broker connection.</summary>
    public Option<double> ConnectTimeout { get; } = new("--connect-timeout") { Description = "Seconds to wait for the broker", DefaultValueFactory = _ => 5, Recursive = true };

    public GlobalOptions()
    {
        Output.AcceptOnlyFromAmong("table", "json");
        foreach (var option in Broker.All) option.Recursive = true;
        Timeout.Validators.Add(r => { if (r.GetValueOrDefault<double>() <= 0) r.AddError("--timeout must be positive"); });
        ConnectTimeout.Validators.Add(r => { if (r.GetValueOrDefault<double>() <= 0) r.AddError("--connect-timeout must be positive"); });
    }

    /// <summary>Adds the options to the root command (they apply to every subcommand).</summary>
    public void AddTo(RootCommand root)
    {
        Broker.AddTo(root);
        foreach (var option in new Option[] { Root, Output, Timeout, ConnectTimeout }) root.Options.Add(option);
    }

    /// <summary>The Sdk client's options from the command line.</summary>
    public IoTHubClientOptions ClientOptions(ParseResult parse)
    {
        var session = Broker.SessionOptions(parse);
        return new IoTHubClientOptions
        {
            Host = session.Host, Port = session.Port, Username = session.Username, Password = session.Password, ClientId = session.ClientId,
            Root = parse.GetValue(Root)!, DefaultTimeout = TimeSpan.FromSeconds(parse.GetValue(Timeout)),
            SessionExpiry = session.SessionExpiry, UseTls = session.UseTls, TlsCaFile = session.TlsCaFile,
            TlsClientCertificateFile = session.TlsClientCertificateFile, TlsClientKeyFile = session.TlsClientKeyFile,
        };
    }
}
