using Microsoft.Extensions.Options;

namespace MqttIoT.Sdk;

/// <summary>Checks <see cref="IoTHubClientOptions"/> before a client connects with them, naming the option that is wrong.</summary>
internal sealed class IoTHubClientOptionsValidator : IValidateOptions<IoTHubClientOptions>
{
    public ValidateOptionsResult Validate(string? name, IoTHubClientOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Host)) failures.Add("IoTHubClientOptions.Host is required");
        if (options.Port is <= 0 or > 65535) failures.Add($"IoTHubClientOptions.Port {options.Port} is not from 1 to 65535");
        if (string.IsNullOrWhiteSpace(options.Root)) failures.Add("IoTHubClientOptions.Root is required");
        if (options.DefaultTimeout <= TimeSpan.Zero) failures.Add("IoTHubClientOptions.DefaultTimeout must be positive");
        if (options.EventBufferSize <= 0) failures.Add("IoTHubClientOptions.EventBufferSize must be positive");
        if (options.SessionExpiry < TimeSpan.Zero) failures.Add("IoTHubClientOptions.SessionExpiry cannot be negative");
        if (options.SessionExpiry > TimeSpan.Zero && string.IsNullOrEmpty(options.ClientId))
            failures.Add("IoTHubClientOptions.SessionExpiry needs a fixed ClientId");
        if (options.TlsClientCertificateFile is not null && options.TlsClientKeyFile is null)
            failures.Add("IoTHubClientOptions.TlsClientCertificateFile needs TlsClientKeyFile");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
