using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Dashboard.Api;

/// <summary>
/// Every API answer is the wire's own envelope, <c>{"status":"ok","data":...}</c> or
/// <c>{"status":"error","error":{"code":"...","message":"..."}}</c>, so the page shows a device's error code and message
/// exactly as the device gave them. Written with Utf8JsonWriter (no reflection).
/// </summary>
internal static class ApiReply
{
    /// <summary>A code of the dashboard's own, beside the wire's: no session or a refused login.</summary>
    public const string Unauthorized = "UNAUTHORIZED";

    /// <summary>A state-changing request that failed the cross-site check.</summary>
    public const string Forbidden = "FORBIDDEN";

    // A reply without data (START, STOP...) comes back from the Sdk as an undefined element.
    public static IResult Ok(JsonElement data) => Ok(w =>
    {
        if (data.ValueKind == JsonValueKind.Undefined) w.WriteNullValue();
        else data.WriteTo(w);
    });

    public static IResult Ok(Action<Utf8JsonWriter> data) => Write(StatusCodes.Status200OK, w =>
    {
        w.WriteString("status", Wire.StatusOk);
        w.WritePropertyName("data");
        data(w);
    });

    public static IResult Error(IoTException ex) => Error(WireName<ErrorCode>.Of(ex.Code), ex.Message, StatusOf(ex.Code));

    public static IResult Error(ErrorCode code, string message) => Error(WireName<ErrorCode>.Of(code), message, StatusOf(code));

    public static IResult Error(string code, string message, int status) => Write(status, w =>
    {
        w.WriteString("status", "error");
        w.WriteStartObject("error");
        w.WriteString("code", code);
        w.WriteString("message", message);
        w.WriteEndObject();
    });

    /// <summary>The error as one JSON object (for parts of a combined answer).</summary>
    public static void WriteError(Utf8JsonWriter w, string property, IoTException ex)
    {
        w.WriteStartObject(property);
        w.WriteString("code", WireName<ErrorCode>.Of(ex.Code));
        w.WriteString("message", ex.Message);
        w.WriteEndObject();
    }

    private static int StatusOf(ErrorCode code) => code switch
    {
        ErrorCode.BadRequest => StatusCodes.Status400BadRequest,
        ErrorCode.UnknownDevice or ErrorCode.UnknownStation or ErrorCode.UnknownKey => StatusCodes.Status404NotFound,
        ErrorCode.Unavailable => StatusCodes.Status503ServiceUnavailable,
        ErrorCode.DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
        ErrorCode.Internal => StatusCodes.Status502BadGateway,
        _ => StatusCodes.Status422UnprocessableEntity,
    };

    private static IResult Write(int status, Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return new JsonBytes(buffer.WrittenSpan.ToArray(), status);
    }

    private sealed class JsonBytes(byte[] body, int status) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            httpContext.Response.ContentType = "application/json; charset=utf-8";
            httpContext.Response.ContentLength = body.Length;
            return httpContext.Response.Body.WriteAsync(body, httpContext.RequestAborted).AsTask();
        }
    }
}
