using System.CommandLine;
using Microsoft.Extensions.Options;
using MqttIoT.Protocol;

namespace MqttIoT.Hosting;

/// <summary>
/// How a host reaches the broker: address, credentials, keep-alive, session and TLS. One set of options for the gateway,
/// the hub and the demo, so the same flags mean the same thing on every command line.
/// </summary>
public sealed class BrokerConnectionCommandLine
{
    /// <summary>Environment variable read when <c>--password</c> is not given (keeps the password off the process list).</summary>
    public const string PasswordVariable = "MQTTIOT_PASSWORD";

    /// <param name="role">Who connects, for the help text of the user name ("gateway: its station id", "hub: hub").</param>
    /// <param name="defaultKeepAlive">The keep-alive in seconds when none is given.</param>
    public BrokerConnectionCommandLine(string role, int defaultKeepAlive = 15)
    {
        Username = new("--username") { Description = $"Broker user name ({role})" };
        KeepAlive = new("--keep-alive") { Description = "MQTT keep-alive in seconds (the broker publishes the last will after 1.5 times this)", DefaultValueFactory = _ => defaultKeepAlive };
    }

    /// <summary>Broker host.</summary>
    public Option<string> Host { get; } = new("--host") { Description = "Broker host", DefaultValueFactory = _ => "127.0.0.1" };
    /// <summary>Broker port.</summary>
    public Option<int> Port { get; } = new("--port") { Description = "Broker port", DefaultValueFactory = _ => 1883 };
    /// <summary>Broker user name.</summary>
    public Option<string?> Username { get; }
    /// <summary>Broker password.</summary>
    public Option<string?> Password { get; } = new("--password") { Description = $"Broker password (or the {PasswordVariable} environment variable)" };
    /// <summary>MQTT keep-alive in seconds.</summary>
    public Option<int> KeepAlive { get; }
    /// <summary>MQTT client id.</summary>
    public Option<string?> ClientId { get; } = new("--client-id") { Description = "MQTT client id (default: derived from the role; unique per process)" };
    /// <summary>Session expiry in seconds.</summary>
    public Option<int?> SessionExpiry { get; } = new("--session-expiry") { Description = "Seconds the broker keeps this client's session (subscriptions, queued QoS 1 messages) across a disconnect; 0 starts clean" };
    /// <summary>TLS to the broker.</summary>
    public Option<bool> Tls { get; } = new("--tls") { Description = "Connect to the broker over TLS (use the broker's TLS port, e.g. 8883)" };
    /// <summary>CA that signed the broker's certificate.</summary>
    public Option<string?> CaFile { get; } = new("--ca-file") { Description = "PEM file of the CA that signed the broker's certificate (e.g. auth/certs/ca.crt); default: the machine's trust store" };
    /// <summary>Client certificate.</summary>
    public Option<string?> CertFile { get; } = new("--cert-file") { Description = "PEM client certificate, for a broker that asks for one (e.g. auth/certs/client.crt)" };
    /// <summary>Client certificate's key.</summary>
    public Option<string?> KeyFile { get; } = new("--key-file") { Description = "PEM private key of --cert-file" };

    /// <summary>Every option, in the order the help lists them.</summary>
    public IReadOnlyList<Option> All => [Host, Port, Username, Password, KeepAlive, ClientId, SessionExpiry, Tls, CaFile, CertFile, KeyFile];

    /// <summary>Adds the options to a command.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in All) command.Options.Add(option);
    }

    /// <summary>
    /// Maps the flags onto the keys of an <see cref="MqttSessionOptions"/> section (<c>Gateway:Mqtt</c>,
    /// <c>Hub:Mqtt</c>): <c>--keep-alive</c> and <c>--session-expiry</c> are seconds, and a CA or client certificate
    /// turns TLS on.
    /// </summary>
    public CommandLineKeys MapTo(CommandLineKeys keys, string section)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return keys.Map(Host, $"{section}:Host")
            .Map(Port, $"{section}:Port")
            .Map(Username, $"{section}:Username")
            .Map(Password, $"{section}:Password")
            .Map(KeepAlive, CommandLineKeys.Seconds, $"{section}:KeepAlive")
            .Map(ClientId, $"{section}:ClientId")
            .Map(SessionExpiry, s => s is { } seconds ? CommandLineKeys.Seconds(seconds) : null, $"{section}:SessionExpiry")
            .Map(Tls, $"{section}:UseTls")
            .Map(CaFile, $"{section}:TlsCaFile")
            .Map(CaFile, f => f is null ? null : "true", $"{section}:UseTls")
            .Map(CertFile, $"{section}:TlsClientCertificateFile")
            .Map(CertFile, f => f is null ? null : "true", $"{section}:UseTls")
            .Map(KeyFile, $"{section}:TlsClientKeyFile");
    }

    /// <summary>
    /// Session options straight from the parsed flags, for tools that take no configuration files (the dashboard host,
    /// the CLI); what the line leaves out keeps <see cref="MqttSessionOptions"/>' default.
    /// </summary>
    public MqttSessionOptions SessionOptions(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var options = new MqttSessionOptions
        {
            Host = parse.GetValue(Host)!,
            Port = parse.GetValue(Port),
            Username = parse.GetValue(Username),
            Password = parse.GetValue(Password) ?? Environment.GetEnvironmentVariable(PasswordVariable),
            KeepAlive = TimeSpan.FromSeconds(parse.GetValue(KeepAlive)),
            ClientId = parse.GetValue(ClientId) ?? "",
            UseTls = parse.GetValue(Tls) || parse.GetValue(CaFile) is not null || parse.GetValue(CertFile) is not null,
            TlsCaFile = parse.GetValue(CaFile),
            TlsClientCertificateFile = parse.GetValue(CertFile),
            TlsClientKeyFile = parse.GetValue(KeyFile),
        };
        if (parse.GetValue(SessionExpiry) is { } seconds)
        {
            if (seconds < 0) throw new ArgumentException("--session-expiry must be 0 or more seconds");
            options.SessionExpiry = TimeSpan.FromSeconds(seconds);
        }
        if (options.TlsClientCertificateFile is not null && options.TlsClientKeyFile is null)
            throw new ArgumentException("--cert-file needs --key-file");
        return options;
    }

    /// <summary>
    /// What the hosts add to a connection section (<paramref name="section"/>, e.g. <c>Gateway:Mqtt</c>): the password
    /// from <see cref="PasswordVariable"/> when configuration gives none, and a client certificate needs its key.
    /// </summary>
    public static OptionsBuilder<TOptions> AddHostRules<TOptions>(OptionsBuilder<TOptions> options, string section,
        Func<TOptions, MqttSessionOptions> connection) where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(connection);
        return options
            .PostConfigure(o => connection(o).Password ??= Environment.GetEnvironmentVariable(PasswordVariable))
            .Validate(o => connection(o) is { TlsClientCertificateFile: null } or { TlsClientKeyFile: not null },
                $"{section}:TlsClientCertificateFile (--cert-file) needs {section}:TlsClientKeyFile (--key-file)");
    }
}
