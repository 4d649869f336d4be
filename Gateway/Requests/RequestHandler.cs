namespace MqttIoT.Gateway.Requests;

/// <summary>One request or query type's handler.</summary>
public delegate Task<HandlerResult> RequestHandler(RequestContext context, CancellationToken cancellationToken);
