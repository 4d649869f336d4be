using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MqttIoT.Hosting;

/// <summary>Runs a host until it is told to stop; a configuration that fails validation at start is logged once and ends the process with <see cref="InvalidConfigurationExitCode"/>.</summary>
public static partial class HostRunner
{
    /// <summary>The exit code of a host whose options failed validation.</summary>
    public const int InvalidConfigurationExitCode = 2;

    /// <summary>Starts <paramref name="host"/>, calls <paramref name="started"/>, waits for shutdown and disposes it; returns the process exit code.</summary>
    public static async Task<int> RunAsync(IHost host, CancellationToken cancellationToken, Action<IServiceProvider>? started = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        try
        {
            if (Failures(host.Services) is { } failures)
            {
                LogInvalidConfiguration(host.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(HostRunner).FullName!), failures);
                return InvalidConfigurationExitCode;
            }
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
            started?.Invoke(host.Services);
            await host.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }
        finally
        {
            if (host is IAsyncDisposable disposable) await disposable.DisposeAsync().ConfigureAwait(false);
            else host.Dispose();
        }
    }

    /// <summary>
    /// What the options registered with <c>ValidateOnStart</c> say is wrong, or null when nothing is. The host runs the
    /// same validation in StartAsync, but only after it has made its hosted services, which read their options and
    /// would fail first with the same message inside a "Hosting failed to start" stack trace.
    /// </summary>
    public static string? Failures(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        try
        {
            services.GetService<IStartupValidator>()?.Validate();
            return null;
        }
        catch (OptionsValidationException e) { return string.Join("; ", e.Failures); }
        catch (AggregateException e) when (e.InnerExceptions.All(inner => inner is OptionsValidationException))
        {
            return string.Join("; ", e.InnerExceptions.SelectMany(inner => ((OptionsValidationException)inner).Failures));
        }
    }

    [LoggerMessage(EventId = 7000, Level = LogLevel.Critical, Message = "Invalid configuration, not starting: {Failures}")]
    private static partial void LogInvalidConfiguration(ILogger logger, string failures);
}
