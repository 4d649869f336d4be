using Microsoft.AspNetCore.Http;

namespace MqttIoT.Dashboard.Auth;

/// <summary>
/// Protection of state-changing requests against cross-site requests: the session cookie is SameSite=Strict and
/// HttpOnly, and every POST must carry <see cref="HeaderName"/> (a page of another site cannot add a custom header
/// without a CORS preflight, which this server never allows), and its Origin and Sec-Fetch-Site, when the browser
/// sends them, must say the same origin.
/// </summary>
internal static class CrossSiteCheck
{
    public const string HeaderName = "X-MqttIoT-Dashboard";
    public const string CookieName = "mqttiot-dashboard";

    /// <summary>Null when the request may change state, else why not.</summary>
    public static string? Refusal(HttpRequest request)
    {
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)) return null;
        if (request.Headers[HeaderName].ToString() != "1") return $"a state-changing request needs the {HeaderName} header (sent by the dashboard's own pages)";
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0 && site is not ("same-origin" or "none")) return $"a cross-site request ({site}) may not change state";
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0 && !string.Equals(origin, $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase))
            return $"origin '{origin}' is not this dashboard's";
        return null;
    }

    public static CookieOptions CookieOptions(HttpRequest request) => new()
    {
        HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = request.IsHttps, Path = "/", IsEssential = true,
    };
}
