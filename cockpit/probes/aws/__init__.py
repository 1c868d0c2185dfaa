"""AWS backends (boto3, synchronous: run them in threads): CloudWatch Logs, alarms, ECS."""
