using System.Text.Json;
using System.Text.Json.Serialization;

namespace MqttIoT.Gateway.Backends.Ble;

/// <summary>
/// The gateway's <c>--ble-config</c> file: the discovery filter and the device models of a BLE station, as JSON
/// (camelCase names of <see cref="BleDiscoveryFilter"/> and <see cref="BleDeviceModel"/>; comments and trailing
/// commas allowed). A name it does not know is an error, so a misspelt option is not silently ignored.
/// </summary>
internal sealed class BleConfigFile
{
    /// <summary>What discovery looks for; absent keeps the default (LE, every device).</summary>
    public BleDiscoveryFilter? Filter { get; set; }

    /// <summary>Known peripheral models; absent means none.</summary>
    public IReadOnlyList<BleDeviceModel>? Models { get; set; }

    /// <summary>Reads <paramref name="path"/> (when given) into <paramref name="options"/>; every failure names the file and what is wrong in it.</summary>
    public static BleStationOptions Apply(string? path, BleStationOptions options)
    {
        if (path is null) return options;
        var config = Read(path);
        try
        {
            config.Filter?.Validate();
            foreach (var model in config.Models ?? []) model.Validate();
        }
        catch (ArgumentException e) { throw Bad(path, e.Message, e); }
        if (config.Filter is not null) options.Filter = config.Filter;
        if (config.Models is not null) options.Models = config.Models;
        return options;
    }

    private static BleConfigFile Read(string path)
    {
        byte[] json;
        try { json = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Bad(path, e is FileNotFoundException or DirectoryNotFoundException ? "no such file" : e.Message, e);
        }
        try
        {
            return JsonSerializer.Deserialize(json, BleConfigJson.Default.BleConfigFile)
                ?? throw Bad(path, "the file holds null; expected an object with \"filter\" and/or \"models\"", null);
        }
        catch (JsonException e) { throw Bad(path, Where(e), e); }
    }

    /// <summary>System.Text.Json's message with the place in the file: its JSON path, and line and column counted from 1.</summary>
    private static string Where(JsonException e)
    {
        var message = e.Message;
        int suffix = message.IndexOf(" Path: ", StringComparison.Ordinal);
        if (suffix > 0) message = message[..suffix];
        message = message.TrimEnd('.');
        return e.LineNumber is { } line ? $"{message} (at {e.Path ?? "$"}, line {line + 1}, column {e.BytePositionInLine + 1})" : message;
    }

    private static ArgumentException Bad(string path, string what, Exception? inner) => new($"--ble-config {path}: {what}", inner);
}

/// <summary>Source-generated metadata of the <c>--ble-config</c> file.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    RespectNullableAnnotations = true,
    MaxDepth = 16)]
[JsonSerializable(typeof(BleConfigFile))]
internal sealed partial class BleConfigJson : JsonSerializerContext;
