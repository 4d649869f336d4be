using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MqttIoT.Dashboard;

/// <summary>Runs the dashboard in a generic host (the demo's, the dashboard host's).</summary>
public static class DashboardServiceCollectionExtensions
{
    public static IServiceCollection AddDashboard(this IServiceCollection services, DashboardOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        services.AddSingleton(sp => new DashboardServer(options, sp.GetRequiredService<ILoggerFactory>(), TimeProvider.System));
        services.AddHostedService<DashboardHostedService>();
        return services;
    }

    private sealed class DashboardHostedService(DashboardServer server) : IHostedService, IAsyncDisposable
    {
        public Task StartAsync(CancellationToken cancellationToken) => server.StartAsync(cancellationToken);
        public Task StopAsync(CancellationToken cancellationToken) => server.StopAsync(cancellationToken);
        public ValueTask DisposeAsync() => server.DisposeAsync();
    }
}
