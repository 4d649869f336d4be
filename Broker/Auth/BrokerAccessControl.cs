using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace MqttIoT.Broker.Auth;

/// <summary>
/// Who may connect, publish and read on the embedded broker, from the same Mosquitto-format password and ACL
/// files Mosquitto uses: CONNECT is checked against the password file, PUBLISH and SUBSCRIBE against the ACL
/// (refused with NotAuthorized, 0x87, as Mosquitto does), and each delivery against the reader's read rules.
/// </summary>
internal sealed partial class BrokerAccessControl
{
    private const string UserKey = "mqttiot.user";

    private readonly PasswordFile? _passwords;
    private readonly AclFile? _acl;
    private readonly bool _allowAnonymous;
    private readonly ILogger _logger;
    // The enqueue hook names only the receiving client id; remember whose it is.
    private readonly ConcurrentDictionary<string, string> _userOfClient = new(StringComparer.Ordinal);

    public BrokerAccessControl(PasswordFile? passwords, AclFile? acl, bool allowAnonymous, ILogger logger)
    {
        _passwords = passwords;
        _acl = acl;
        _allowAnonymous = allowAnonymous;
        _logger = logger;
    }

    public void Attach(MqttServer server)
    {
        server.ClientConnectedAsync += e =>
        {
            if (e.UserName is { Length: > 0 } user) _userOfClient[e.ClientId] = user;
            else _userOfClient.TryRemove(e.ClientId, out _);
            return Task.CompletedTask;
        };
        if (_acl is null) return;
        server.InterceptingPublishAsync += OnPublishAsync;
        server.InterceptingSubscriptionAsync += OnSubscribeAsync;
    }

    /// <summary>Checks a CONNECT; returns false (and sets the reason code) when it is refused.</summary>
    public bool Validate(ValidatingConnectionEventArgs e)
    {
        var user = string.IsNullOrEmpty(e.UserName) ? null : e.UserName;
        if (user is null)
        {
            if (_allowAnonymous) return true;
            Refuse(e, MqttConnectReasonCode.NotAuthorized, "anonymous access is off");
            return false;
        }
        if (_passwords is null)
        {
            if (_allowAnonymous) return true; // no password file: user names are taken as given
            Refuse(e, MqttConnectReasonCode.BadUserNameOrPassword, "no password file");
            return false;
        }
        if (_passwords.Verify(user, e.Password)) return true;
        Refuse(e, MqttConnectReasonCode.BadUserNameOrPassword, "bad user name or password");
        return false;
    }

    private void Refuse(ValidatingConnectionEventArgs e, MqttConnectReasonCode code, string why)
    {
        e.ReasonCode = code;
        LogRefused(e.ClientId, e.UserName ?? "(anonymous)", why);
    }

    private Task OnPublishAsync(InterceptingPublishEventArgs e)
    {
        var user = string.IsNullOrEmpty(e.UserName) ? null : e.UserName;
        if (_acl!.CanWrite(user, e.ClientId, e.ApplicationMessage.Topic)) return Task.CompletedTask;
        e.ProcessPublish = false;
        e.Response.ReasonCode = MqttPubAckReasonCode.NotAuthorized;
        LogDenied(e.ClientId, user ?? "(anonymous)", "publish", e.ApplicationMessage.Topic);
        return Task.CompletedTask;
    }

    private Task OnSubscribeAsync(InterceptingSubscriptionEventArgs e)
    {
        var user = string.IsNullOrEmpty(e.UserName) ? null : e.UserName;
        if (_acl!.CanSubscribe(user, e.ClientId, e.TopicFilter.Topic)) return Task.CompletedTask;
        e.ProcessSubscription = false;
        e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
        LogDenied(e.ClientId, user ?? "(anonymous)", "subscribe", e.TopicFilter.Topic);
        return Task.CompletedTask;
    }

    /// <summary>Whether the ACL lets <paramref name="receiverId"/> read a message on <paramref name="topic"/> (true without an ACL).</summary>
    public bool MayRead(string receiverId, string topic) =>
        _acl is null || _acl.CanRead(_userOfClient.GetValueOrDefault(receiverId), receiverId, topic);

    [LoggerMessage(EventId = 4000, Level = LogLevel.Warning, Message = "Refused connection of {ClientId} as {User}: {Why}")]
    private partial void LogRefused(string clientId, string user, string why);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Denied {ClientId} ({User}) {Action} on {Topic} by the ACL")]
    private partial void LogDenied(string clientId, string user, string action, string topic);
}
