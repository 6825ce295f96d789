"""Creates or lists ACLs with Kafka's admin API (confluent-kafka, the SDK's
interpreter), for cli/tests/kafka_security.rs: the broker's super user
grants what `mlobs topics acls --format json` printed.

Reads one JSON object on stdin: {"connection": {librdkafka settings},
"acls": [what `mlobs topics acls` printed]}. With "acls", creates them and
prints how many; without, prints every ACL on the broker as the same JSON
objects.
"""

import json
import sys

from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
)

request = json.load(sys.stdin)
admin = AdminClient(request["connection"])
if "acls" in request:
    bindings = [
        AclBinding(
            ResourceType[acl["resource_type"]],
            acl["resource_name"],
            ResourcePatternType[acl["pattern_type"]],
            acl["principal"],
            "*",
            AclOperation[acl["operation"]],
            AclPermissionType[acl["permission"]],
        )
        for acl in request["acls"]
    ]
    for future in admin.create_acls(bindings, request_timeout=30).values():
        future.result()
    print(len(bindings))
else:
    every = AclBindingFilter(
        ResourceType.ANY, None, ResourcePatternType.ANY, None, None, AclOperation.ANY, AclPermissionType.ANY
    )
    found = admin.describe_acls(every, request_timeout=30).result()
    print(
        json.dumps(
            [
                {
                    "principal": b.principal,
                    "permission": b.permission_type.name,
                    "operation": b.operation.name,
                    "resource_type": b.restype.name,
                    "resource_name": b.name,
                    "pattern_type": b.resource_pattern_type.name,
                }
                for b in found
            ]
        )
    )
