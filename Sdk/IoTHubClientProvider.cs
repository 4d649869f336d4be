using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MqttIoT.Sdk;

/// <summary>
/// The <see cref="IoTHubClient"/> of an application that uses the Sdk through dependency injection
/// (<see cref="IoTHubClientServiceCollectionExtensions.AddIoTHubClient"/>): it connects on the first
/// <see cref="GetClientAsync"/>, which every later call shares; a connect that failed is tried again by the next
/// call. Once connected, the client reconnects by itself. Disposed with the container, it disconnects the client.
/// </summary>
public sealed class IoTHubClientProvider : IAsyncDisposable
{
    private readonly IOptions<IoTHubClientOptions> _options;
    private readonly ILoggerFactory? _loggerFactory;
    private readonly TimeProvider? _time;
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private IoTHubClient? _client;
    private bool _disposed;

    /// <summary>A provider of a client with <paramref name="options"/>, logging to <paramref name="loggerFactory"/>.</summary>
    public IoTHubClientProvider(IOptions<IoTHubClientOptions> options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _loggerFactory = loggerFactory;
        _time = timeProvider;
    }

    /// <summary>The connected client; connects it first if no call has yet.</summary>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid.</exception>
    public async ValueTask<IoTHubClient> GetClientAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _client) is { } client) return client;
        await _connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_client is null)
            {
                var connected = await IoTHubClient.ConnectAsync(_options.Value, _loggerFactory, _time, cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _client, connected);
            }
            return _client;
        }
        finally { _connecting.Release(); }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _connecting.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed) return;
            _disposed = true;
            if (_client is { } client) await client.DisposeAsync().ConfigureAwait(false);
        }
        finally { _connecting.Release(); }
    }
}
