namespace MqttIoT.Hub.Queries;

/// <summary>One hub query type's handler: reads the index and returns the reply's data as JSON.</summary>
internal delegate RawJson HubQueryHandler(HubQueryContext context);
