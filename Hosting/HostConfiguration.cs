using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Hosting;

namespace MqttIoT.Hosting;

/// <summary>
/// The configuration every host reads, lowest first: the host's defaults, <c>appsettings.json</c> and
/// <c>appsettings.{Environment}.json</c> from the content root (when present), environment variables starting with
/// <c>MQTTIOT_</c> (<c>__</c> nests: <c>MQTTIOT_Gateway__Mqtt__Port</c>), then the flags of the command line.
/// Hosting/README.md lists the keys.
/// </summary>
public static class HostConfiguration
{
    /// <summary>The prefix of the environment variables a host reads as configuration.</summary>
    public const string EnvironmentPrefix = "MQTTIOT_";

    /// <summary>A host builder whose configuration is layered as above; <paramref name="settings"/> may set the content root and environment.</summary>
    public static HostApplicationBuilder CreateBuilder(IReadOnlyDictionary<string, string?> defaults,
        IEnumerable<KeyValuePair<string, string?>> commandLine, HostApplicationBuilderSettings? settings = null)
    {
        settings ??= new HostApplicationBuilderSettings();
        // The flags were parsed by System.CommandLine; the generic "--Key value" provider would read them a second time.
        settings.Args = null;
        var builder = Host.CreateApplicationBuilder(settings);
        var sources = builder.Configuration.Sources;
        // The default builder reads every environment variable; ours are the MQTTIOT_ ones, so PATH or HOME never become keys.
        for (int i = sources.Count - 1; i >= 0; i--)
            if (sources[i] is EnvironmentVariablesConfigurationSource { Prefix: null or "" }) sources.RemoveAt(i);
        sources.Insert(0, new MemoryConfigurationSource { InitialData = defaults });
        builder.Configuration.AddEnvironmentVariables(EnvironmentPrefix);
        builder.Configuration.AddInMemoryCollection(commandLine);
        return builder;
    }
}
