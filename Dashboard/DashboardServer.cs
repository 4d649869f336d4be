using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MqttIoT.Dashboard.Api;
using MqttIoT.Dashboard.Assets;
using MqttIoT.Dashboard.Auth;
using MqttIoT.Dashboard.History;

namespace MqttIoT.Dashboard;

/// <summary>
/// The dashboard's web server: its own Kestrel on <see cref="DashboardOptions.BindAddress"/>, the page and its assets,
/// the JSON API over the Sdk and the live event stream. Started by the dashboard host, the demo and the tests alike.
/// </summary>
public sealed partial class DashboardServer : IAsyncDisposable
{
    private readonly DashboardOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly IHistorySource _history;
    private readonly StaticAssets _assets = new();
    private DashboardAccess? _access;
    private WebApplication? _app;

    /// <param name="options">Where to listen, which broker, who may log in.</param>
    /// <param name="loggerFactory">Logging of the server and its Sdk clients.</param>
    /// <param name="timeProvider">The clock of sessions and pushes.</param>
    /// <param name="history">Where the plot's past values come from (none until the hub answers GET_HISTORY).</param>
    public DashboardServer(DashboardOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null,
        IHistorySource? history = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<DashboardServer>();
        _time = timeProvider ?? TimeProvider.System;
        _history = history ?? new NoHistory();
    }

    /// <summary>Where the dashboard answers, once started (with the port picked when <see cref="DashboardOptions.HttpPort"/> is 0).</summary>
    public Uri Url { get; private set; } = new("http://127.0.0.1/");

    /// <summary>Finds out who may log in (connecting to the broker when it can), then listens.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _access = new DashboardAccess(_options, _loggerFactory, _time);
        await _access.StartAsync(cancellationToken).ConfigureAwait(false);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(DashboardServer).Assembly.GetName().Name, ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.Services.Replace(ServiceDescriptor.Singleton(_loggerFactory));
        builder.WebHost.ConfigureKestrel(k => k.Listen(_options.BindAddress, _options.HttpPort));
        var app = builder.Build();
        var access = _access;
        app.Use(async (ctx, next) =>
        {
            ctx.Response.Headers["X-Frame-Options"] = "DENY";
            ctx.Response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'";
            var path = ctx.Request.Path.Value ?? "/";
            if (!path.StartsWith("/api/", StringComparison.Ordinal))
            {
                // Every non-API path is the one page (routes live after '#'), or one of its assets.
                if (!await _assets.TryServeAsync(ctx, path == "/" ? "/index.html" : path).ConfigureAwait(false))
                    ctx.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
            if (CrossSiteCheck.Refusal(ctx.Request) is { } refusal)
            {
                LogCrossSite(_logger, ctx.Request.Method, path, refusal);
                await ApiReply.Error(ApiReply.Forbidden, refusal, StatusCodes.Status403Forbidden).ExecuteAsync(ctx).ConfigureAwait(false);
                return;
            }
            if (path is not ("/api/session" or "/api/login" or "/api/logout"))
            {
                if (access.Find(ctx.Request.Cookies[CrossSiteCheck.CookieName]) is not { } session)
                {
                    var why = access.Mode == DashboardAuthMode.Auto || (access.Mode == DashboardAuthMode.Anonymous && access.Shared is null)
                        ? access.Waiting ?? "the dashboard is not connected to the broker yet"
                        : "log in first";
                    await ApiReply.Error(ApiReply.Unauthorized, why, StatusCodes.Status401Unauthorized).ExecuteAsync(ctx).ConfigureAwait(false);
                    return;
                }
                ctx.Items[typeof(DashboardSession)] = session;
            }
            await next(ctx).ConfigureAwait(false);
        });
        SessionEndpoints.Map(app, access);
        FleetEndpoints.Map(app, _history, _time);
        EventStreamEndpoint.Map(app, _options, _time);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        _app = app;
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
            .Get<IServerAddressesFeature>()!.Addresses.First();
        Url = new Uri(address.Replace("[::]", "localhost", StringComparison.Ordinal).TrimEnd('/') + "/");
        LogListening(_logger, Url.ToString(), access.Mode.ToString());
    }

    /// <summary>Stops listening and closes every Sdk connection.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null) await _app.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
            _app = null;
        }
        if (_access is not null) await _access.DisposeAsync().ConfigureAwait(false);
        _access = null;
    }

    [LoggerMessage(EventId = 5020, Level = LogLevel.Information, Message = "Dashboard listening on {Url} (access: {Mode})")]
    private static partial void LogListening(ILogger logger, string url, string mode);

    [LoggerMessage(EventId = 5021, Level = LogLevel.Warning, Message = "Dashboard refused {Method} {Path}: {Why}")]
    private static partial void LogCrossSite(ILogger logger, string method, string path, string why);
}
