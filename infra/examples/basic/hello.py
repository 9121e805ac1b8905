"""The sample task: greets whoever the state machine names."""


def handler(event, context):
    return {"greeting": f"Hello, {event.get('name', 'world')}!"}
