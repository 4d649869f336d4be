namespace MqttIoT.OpcUa;

/// <summary>Who a session acts for: anonymous, or a user name and password.</summary>
public sealed class UserIdentity
{
    private UserIdentity(string? userName, string? password)
    {
        UserName = userName;
        Password = password;
    }

    /// <summary>No user.</summary>
    public static UserIdentity Anonymous { get; } = new(null, null);

    /// <summary>A user name and password.</summary>
    public static UserIdentity FromUserName(string userName, string password)
    {
        ArgumentException.ThrowIfNullOrEmpty(userName);
        ArgumentNullException.ThrowIfNull(password);
        return new UserIdentity(userName, password);
    }

    /// <summary>The user name, null when anonymous.</summary>
    public string? UserName { get; }

    /// <summary>The password, null when anonymous.</summary>
    public string? Password { get; }

    /// <summary>Whether this is the anonymous identity.</summary>
    public bool IsAnonymous => UserName is null;

    /// <inheritdoc />
    public override string ToString() => IsAnonymous ? "anonymous" : $"user '{UserName}'";
}
