using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using MqttIoT.Dashboard.Auth;

namespace MqttIoT.Dashboard.Api;

/// <summary>Who is logged in, login and logout.</summary>
internal static class SessionEndpoints
{
    public static void Map(WebApplication app, DashboardAccess access)
    {
        app.MapGet("/api/session", (HttpContext ctx) =>
        {
            var session = access.Find(ctx.Request.Cookies[CrossSiteCheck.CookieName]);
            return ApiReply.Ok(w =>
            {
                w.WriteStartObject();
                w.WriteString("mode", access.Mode switch
                {
                    DashboardAuthMode.Anonymous => "anonymous",
                    DashboardAuthMode.Broker => "broker",
                    DashboardAuthMode.UsersFile => "users-file",
                    _ => "unknown",
                });
                w.WriteBoolean("loggedIn", session is not null);
                if (session?.User is { } user) w.WriteString("user", user);
                w.WriteString("broker", access.BrokerAddress);
                w.WriteBoolean("brokerConnected", session?.Connection.Client.IsConnected ?? access.Shared?.Client.IsConnected ?? false);
                if (access.Waiting is { } waiting) w.WriteString("waiting", waiting);
                w.WriteEndObject();
            });
        });

        app.MapPost("/api/login", async (HttpContext ctx) =>
        {
            IReadOnlyDictionary<string, string> body;
            try { body = await RequestJson.ReadAsync(ctx.Request, ctx.RequestAborted); }
            catch (FormatException ex) { return ApiReply.Error(Sdk.Contract.ErrorCode.BadRequest, ex.Message); }
            var user = body.GetValueOrDefault("user") ?? "";
            var password = body.GetValueOrDefault("password") ?? "";
            if (user.Length == 0) return ApiReply.Error(Sdk.Contract.ErrorCode.BadRequest, "a user name is needed");
            var result = await access.LoginAsync(user, password, ctx.RequestAborted);
            if (result.Session is not { } session)
            {
                return result.BrokerUnavailable
                    ? ApiReply.Error(Sdk.Contract.ErrorCode.Unavailable, result.Error!)
                    : ApiReply.Error(ApiReply.Unauthorized, result.Error!, StatusCodes.Status401Unauthorized);
            }
            ctx.Response.Cookies.Append(CrossSiteCheck.CookieName, session.Token, CrossSiteCheck.CookieOptions(ctx.Request));
            return ApiReply.Ok(w => w.WriteStringValue(user));
        });

        app.MapPost("/api/logout", async (HttpContext ctx) =>
        {
            await access.LogoutAsync(ctx.Request.Cookies[CrossSiteCheck.CookieName]);
            ctx.Response.Cookies.Delete(CrossSiteCheck.CookieName, CrossSiteCheck.CookieOptions(ctx.Request));
            return ApiReply.Ok(w => w.WriteNullValue());
        });
    }
}
