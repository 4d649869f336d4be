using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MqttIoT.Hosting;

namespace MqttIoT.Gateway.Backends;

/// <summary>
/// What every <c>AddXxxStation</c> does: options configured by a delegate or bound from a section, validated at start
/// (attributes, then the options' own rules), and the one <see cref="IStationBackend"/> of the container made from them.
/// </summary>
internal static class StationServiceCollection
{
    public static OptionsBuilder<TOptions> AddStation<TOptions>(IServiceCollection services, IValidateOptions<TOptions> attributes,
        Action<TOptions> rules, Func<TOptions, ILoggerFactory, TimeProvider, IStationBackend> create)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>>(new OptionsRules<TOptions>(attributes, rules)));
        // One station per gateway: a second AddXxxStation replaces the first.
        services.Replace(ServiceDescriptor.Singleton(sp => create(sp.GetRequiredService<IOptions<TOptions>>().Value,
            sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance, sp.GetService<TimeProvider>() ?? TimeProvider.System)));
        return services.AddOptions<TOptions>().ValidateOnStart();
    }
}
