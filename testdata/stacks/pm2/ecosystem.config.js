// pm2 start ecosystem.config.js --env production
const common = { max_memory_restart: '300M', time: true };

module.exports = {
  apps: [
    {
      name: 'api',
      script: './api/index.js',
      instances: 'max',
      exec_mode: 'cluster',
      args: '--port 3000 --trust-proxy',
      ...common,
    },
    {
      name: 'web',
      script: './web/server.js',
      env: {
        NODE_ENV: 'development',
        PORT: 8080,
      },
      env_production: {
        NODE_ENV: 'production',
      },
    },
    {
      name: 'mailer',
      script: './jobs/mailer.js',
      cron_restart: '0 3 * * *',
      autorestart: false,
    },
  ],
};
