using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MqttIoT.Broker.Auth;
using MqttIoT.Dashboard.Live;
using MqttIoT.Protocol;
using MqttIoT.Sdk;

namespace MqttIoT.Dashboard.Auth;

/// <summary>
/// Who may use the dashboard and through which Sdk connection. In <see cref="DashboardAuthMode.Auto"/> it finds out at
/// start: a users file means users-file logins; otherwise an anonymous Sdk client is tried, and the dashboard is
/// anonymous exactly when the broker lets that client in, else it asks for a broker user. A broker that cannot be
/// reached yet is tried again with the reconnect backoff; until then the page says it is waiting.
/// Sessions are bounded in number and idle time; a broker user's connection is shared by that user's sessions and
/// closed with the last of them.
/// </summary>
internal sealed partial class DashboardAccess : IAsyncDisposable
{
    private readonly DashboardOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, DashboardSession> _sessions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, UserConnection> _users = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _usersLock = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly PasswordFile? _usersFile;
    private readonly ConcurrentBag<Task> _ending = [];
    private Task _resolving = Task.CompletedTask;
    private volatile DashboardAuthMode _mode;
    private volatile FleetConnection? _shared;
    private volatile string? _waiting;

    public DashboardAccess(DashboardOptions options, ILoggerFactory loggerFactory, TimeProvider time)
    {
        _options = options;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<DashboardAccess>();
        _time = time;
        if (options.UsersFile is not null) _usersFile = PasswordFile.Load(options.UsersFile);
        _mode = options.Auth == DashboardAuthMode.Auto && _usersFile is not null ? DashboardAuthMode.UsersFile : options.Auth;
    }

    /// <summary>The mode in force; <see cref="DashboardAuthMode.Auto"/> while the broker has not been reached yet.</summary>
    public DashboardAuthMode Mode { get => _mode; private set => _mode = value; }

    /// <summary>Why the dashboard cannot serve yet, in words (null when it can).</summary>
    public string? Waiting => _waiting;

    /// <summary>The broker the dashboard talks to, as host:port.</summary>
    public string BrokerAddress => $"{_options.Broker.Host}:{_options.Broker.Port}";

    /// <summary>The anonymous or service connection, once up.</summary>
    public FleetConnection? Shared => _shared;

    /// <summary>Resolves the mode (first try inline, so a reachable broker is settled before the server answers), then retries in the background.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Mode == DashboardAuthMode.Broker) return;
        var backoff = new Backoff(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5), _time);
        if (await TryResolveAsync(cancellationToken).ConfigureAwait(false)) return;
        _resolving = Task.Run(async () =>
        {
            try
            {
                do await backoff.DelayAsync(_stopping.Token).ConfigureAwait(false);
                while (!await TryResolveAsync(_stopping.Token).ConfigureAwait(false));
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested) { }
        }, CancellationToken.None);
    }

    private async Task<bool> TryResolveAsync(CancellationToken cancellationToken)
    {
        var anonymous = Mode is DashboardAuthMode.Auto or DashboardAuthMode.Anonymous;
        var options = Copy(_options.Broker, anonymous ? null : _options.Broker.Username, anonymous ? null : _options.Broker.Password);
        try
        {
            _shared = await FleetConnection.ConnectAsync(options, _loggerFactory, _time, cancellationToken).ConfigureAwait(false);
            if (Mode == DashboardAuthMode.Auto) Mode = DashboardAuthMode.Anonymous;
            _waiting = null;
            LogMode(_logger, Mode.ToString(), BrokerAddress);
            return true;
        }
        catch (Exception ex) when (IsRefused(ex) && Mode == DashboardAuthMode.Auto)
        {
            // The broker wants users: so does the dashboard.
            Mode = DashboardAuthMode.Broker;
            _waiting = null;
            LogMode(_logger, Mode.ToString(), BrokerAddress);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var why = IsRefused(ex)
                ? $"the broker at {BrokerAddress} refused the dashboard's own {(anonymous ? "anonymous client" : "user")}: {ex.Message}"
                : $"waiting for the broker at {BrokerAddress} ({ex.Message})";
            // Once per reason, not once per retry.
            if (why != _waiting) LogWaiting(_logger, why);
            _waiting = why;
            return false;
        }
    }

    /// <summary>The session of a request's cookie token; in anonymous mode every request has the shared one.</summary>
    public DashboardSession? Find(string? token)
    {
        if (Mode == DashboardAuthMode.Anonymous)
            return _shared is { } shared ? new DashboardSession("", null, shared, _time.GetUtcNow()) : null;
        if (token is null || !_sessions.TryGetValue(token, out var session)) return null;
        var now = _time.GetUtcNow();
        if (now - session.LastUsed > _options.SessionIdle)
        {
            Forget(session);
            return null;
        }
        session.LastUsed = now;
        return session;
    }

    /// <summary>Checks a user and password the way the mode says and opens a session.</summary>
    public async Task<LoginResult> LoginAsync(string user, string password, CancellationToken cancellationToken)
    {
        switch (Mode)
        {
            case DashboardAuthMode.UsersFile:
                if (!_usersFile!.Verify(user, password)) return Refused(user, "unknown user or wrong password");
                if (_shared is not { } service) return new(null, _waiting ?? $"waiting for the broker at {BrokerAddress}", true);
                return new(Open(user, service), null);
            case DashboardAuthMode.Broker:
                return await LoginAtBrokerAsync(user, password, cancellationToken).ConfigureAwait(false);
            case DashboardAuthMode.Anonymous:
                return new(null, "this dashboard is anonymous: no login needed");
            default:
                return new(null, _waiting ?? $"waiting for the broker at {BrokerAddress}", true);
        }
    }

    private async Task<LoginResult> LoginAtBrokerAsync(string user, string password, CancellationToken cancellationToken)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(user + "\0" + password));
        await _usersLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_users.TryGetValue(user, out var existing))
            {
                if (!CryptographicOperations.FixedTimeEquals(existing.Hash, hash)) return Refused(user, "unknown user or wrong password");
                existing.Sessions++;
                return new(Open(user, existing.Connection), null);
            }
            FleetConnection connection;
            try
            {
                connection = await FleetConnection.ConnectAsync(Copy(_options.Broker, user, password), _loggerFactory, _time, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (Exception ex) when (IsRefused(ex)) { return Refused(user, "the broker refused this user or password"); }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return new(null, $"the broker at {BrokerAddress} cannot be reached: {ex.Message}", true);
            }
            _users[user] = new UserConnection(connection, hash) { Sessions = 1 };
            return new(Open(user, connection), null);
        }
        finally { _usersLock.Release(); }
    }

    /// <summary>Ends a session (logout).</summary>
    public Task LogoutAsync(string? token) =>
        token is not null && _sessions.TryRemove(token, out var session) ? CloseAsync(session) : Task.CompletedTask;

    private DashboardSession Open(string user, FleetConnection connection)
    {
        var session = new DashboardSession(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), user, connection, _time.GetUtcNow());
        _sessions[session.Token] = session;
        while (_sessions.Count > _options.MaxSessions && _sessions.Values.MinBy(s => s.LastUsed) is { } oldest) Forget(oldest);
        LogLogin(_logger, user, Mode.ToString());
        return session;
    }

    private LoginResult Refused(string user, string why)
    {
        LogLoginRefused(_logger, user, why);
        return new(null, why);
    }

    // A session that expired or was pushed out ends while the request that noticed goes on; the task is kept and awaited
    // at dispose, so a failure to close its connection is not lost.
    private void Forget(DashboardSession session)
    {
        if (_sessions.TryRemove(session.Token, out _)) _ending.Add(CloseAsync(session));
    }

    /// <summary>After a session left the table: its broker user's connection closes with the user's last session.</summary>
    private async Task CloseAsync(DashboardSession session)
    {
        if (Mode != DashboardAuthMode.Broker || session.User is null) return;
        await _usersLock.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        UserConnection? closing = null;
        try
        {
            if (_users.TryGetValue(session.User, out var user) && --user.Sessions <= 0)
            {
                _users.Remove(session.User);
                closing = user;
            }
        }
        finally { _usersLock.Release(); }
        if (closing is not null) await closing.Connection.DisposeAsync().ConfigureAwait(false);
    }

    // The session says a refused CONNECT with the CONNACK's reason code after MqttSession.RefusedPrefix.
    private static bool IsRefused(Exception ex) => ex is IoTException
        && ex.Message.StartsWith(MqttSession.RefusedPrefix, StringComparison.Ordinal)
        && (ex.Message.Contains(nameof(MqttClientConnectResultCode.BadUserNameOrPassword), StringComparison.Ordinal)
            || ex.Message.Contains(nameof(MqttClientConnectResultCode.NotAuthorized), StringComparison.Ordinal));

    private static IoTHubClientOptions Copy(IoTHubClientOptions o, string? user, string? password) => new()
    {
        Host = o.Host, Port = o.Port, Root = o.Root, ClientId = "", Username = user, Password = password,
        DefaultTimeout = o.DefaultTimeout, EventBufferSize = o.EventBufferSize,
        UseTls = o.UseTls, TlsCaFile = o.TlsCaFile, TlsClientCertificateFile = o.TlsClientCertificateFile, TlsClientKeyFile = o.TlsClientKeyFile,
    };

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _resolving.ConfigureAwait(false);
        await Task.WhenAll(_ending).ConfigureAwait(false);
        _sessions.Clear();
        foreach (var user in _users.Values) await user.Connection.DisposeAsync().ConfigureAwait(false);
        _users.Clear();
        if (_shared is { } shared) await shared.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
        _usersLock.Dispose();
    }

    private sealed class UserConnection(FleetConnection connection, byte[] hash)
    {
        public FleetConnection Connection { get; } = connection;
        public byte[] Hash { get; } = hash;
        public int Sessions { get; set; }
    }

    [LoggerMessage(EventId = 5010, Level = LogLevel.Information, Message = "Dashboard access: {Mode} (broker {Broker})")]
    private static partial void LogMode(ILogger logger, string mode, string broker);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Warning, Message = "Dashboard cannot serve yet: {Why}")]
    private static partial void LogWaiting(ILogger logger, string why);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Information, Message = "Dashboard login of {User} ({Mode})")]
    private static partial void LogLogin(ILogger logger, string user, string mode);

    [LoggerMessage(EventId = 5013, Level = LogLevel.Warning, Message = "Dashboard login of {User} refused: {Why}")]
    private static partial void LogLoginRefused(ILogger logger, string user, string why);
}
