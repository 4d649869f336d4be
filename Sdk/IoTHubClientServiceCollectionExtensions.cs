using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MqttIoT.Sdk;

/// <summary>Registers an <see cref="IoTHubClient"/> with a service collection.</summary>
public static class IoTHubClientServiceCollectionExtensions
{
    /// <summary>
    /// Adds an <see cref="IoTHubClientProvider"/> whose client connects on first use with the
    /// <see cref="IoTHubClientOptions"/> <paramref name="configure"/> sets (or that the application binds itself, e.g.
    /// <c>services.Configure&lt;IoTHubClientOptions&gt;(configuration.GetSection("IoTHub"))</c>). The options are
    /// validated when the client connects, and at start in a host.
    /// </summary>
    public static IServiceCollection AddIoTHubClient(this IServiceCollection services, Action<IoTHubClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<IoTHubClientOptions>().ValidateOnStart();
        if (configure is not null) options.Configure(configure);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IoTHubClientOptions>, IoTHubClientOptionsValidator>());
        services.TryAddSingleton(sp => new IoTHubClientProvider(sp.GetRequiredService<IOptions<IoTHubClientOptions>>(),
            sp.GetService<ILoggerFactory>(), sp.GetService<TimeProvider>()));
        return services;
    }
}
